"""What the adapters share in channels/adapters/base.py: refusing unfit content before any
call, and turning an SDK's exceptions into our four kinds."""

import pytest

from channels.adapters.base import (
    AuthError,
    PermanentError,
    Problem,
    TransientError,
    require_fit,
    sdk_errors,
)


class SdkFailure(Exception):
    """What an SDK raises: its message may hold a URL with a token in it."""


def _translate(exc: Exception) -> TransientError | None:
    return TransientError("The network failed.", request_sent=True) if isinstance(exc, SdkFailure) else None


def test_require_fit_refuses_with_every_problem_in_one_message():
    require_fit([])
    problems = [Problem("twitter", "text", "The text is too long."), Problem("twitter", "media", "Too many.")]
    with pytest.raises(PermanentError, match=r"^The text is too long\. Too many\.$"):
        require_fit(problems)


@pytest.mark.parametrize(("chain", "cause"), [(True, SdkFailure), (False, type(None))])
def test_sdk_errors_raise_the_kind_the_network_mapping_gives(chain, cause):
    with pytest.raises(TransientError) as raised, sdk_errors(_translate, chain=chain):
        raise SdkFailure("https://graph.facebook.com/?access_token=secret")
    assert raised.value.request_sent is True
    assert isinstance(raised.value.__cause__, cause)


def test_sdk_errors_let_our_own_errors_and_unknown_exceptions_through():
    with pytest.raises(AuthError, match="already ours"), sdk_errors(_translate):
        raise AuthError("already ours")
    with pytest.raises(ZeroDivisionError), sdk_errors(_translate):
        1 / 0  # noqa: B018 (a bug, not a network failure: not ours to map)
