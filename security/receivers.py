"""At each login, stamp the session with its start and last activity: the idle and absolute
time-outs (security.middleware.SessionTimeoutMiddleware) count from there, and keep the
language the person logged in with (what is mailed to them is written in it). And audit
the removal of an authenticator device."""

import time

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.context import current_user
from audit.services import record
from security.services.languages import language_remember

SESSION_STARTED = "security.session_started"
LAST_ACTIVITY = "security.last_activity"


@receiver(user_logged_in, dispatch_uid="security.session_stamp")
def _stamp_session(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[SESSION_STARTED] = now
        session[LAST_ACTIVITY] = now
    # Django's own login view logs people in: this is the one place that sees every login.
    language_remember(user=user, language=getattr(request, "LANGUAGE_CODE", None))


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="security.device_deleted")
def _device_deleted(sender, instance, **kwargs) -> None:
    """A device removed (in the admin: a lost phone) is audited; its owner enrols anew once
    an administrator opens enrolment. A device never confirmed (an enrolment left half
    done, tidied away when another session's enrolment succeeds) protected nothing: not
    audited."""
    if not instance.confirmed:
        return
    record(action="auth.otp_reset", actor=current_user(), obj=instance.user, details={"device": instance.name})
