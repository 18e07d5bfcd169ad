from diplomacy_hub import policy


def roles(request) -> dict:
    """Expose the user's roles to templates, so menus show only what the user may open."""
    user = getattr(request, "user", None)
    if user is None:
        return {"user_roles": frozenset()}
    return {"user_roles": policy.roles_of(user)}
