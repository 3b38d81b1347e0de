def plans(request):
    """The plan the page is about (set by views as request.plan) for the layout's header."""
    return {"current_plan": getattr(request, "plan", None)}
