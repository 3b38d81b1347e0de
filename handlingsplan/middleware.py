class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: every asset comes from this app, nothing external.

    The city intranet forbids external requests, and the header makes a stray CDN link fail loudly
    in development instead of silently working.
    """

    POLICY = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The admin uses inline styles in places; keep it working while the app stays strict.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response


class SwedishFirstLocaleMiddleware:
    """Swedish unless the user chose another language (the language cookie set by set_language).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which on many city
    computers says English; the city's working language is Swedish, so the browser is not asked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response
