"""Who may do what. One function per question, used by views and templates alike."""

COORDINATOR_GROUP = "Samordnare"


def is_coordinator(user):
    """BRG's plan coordinators: members of the Samordnare group (managed in admin)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Cached on the user object: templates ask this several times per page.
    if not hasattr(user, "_is_coordinator"):
        user._is_coordinator = user.groups.filter(name=COORDINATOR_GROUP).exists()
    return user._is_coordinator
