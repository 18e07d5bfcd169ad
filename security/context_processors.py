"""A session that still owes its second factor gets no menu at all (`menu`), since every
page of it would send them back to the code. Here rather than beside the roles' context
processor: the policy's layer knows nothing of the second factor."""

from security.two_factor import lacks_verification


def menu(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {"menu": False}
    return {"menu": user.is_authenticated and not lacks_verification(user)}
