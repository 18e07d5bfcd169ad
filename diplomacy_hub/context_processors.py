from diplomacy_hub import policy
from security.two_factor import lacks_verification


def roles(request) -> dict:
    """Expose the user's roles to templates, so menus show only what the user may open; a
    session that still owes its second factor gets no menu at all (`menu`), since every
    page of it would send them back to the code."""
    user = getattr(request, "user", None)
    if user is None:
        return {"user_roles": frozenset(), "menu": False}
    return {"user_roles": policy.roles_of(user), "menu": user.is_authenticated and not lacks_verification(user)}
