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
