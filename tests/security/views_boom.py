from django.views.decorators.debug import sensitive_variables

CANARY = "canary-token-Zq8vW3xY"


@sensitive_variables("access_token")
def boom(request):
    access_token = CANARY  # noqa: F841 (in the frame when it fails)
    raise RuntimeError("the network refused")
