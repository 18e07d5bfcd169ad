"""Signal receivers that write authentication and role events to the audit log.

Signals, not services, because these events happen inside Django and django-axes: a login,
a logout, a failed login, a lockout, a change of a user's groups (roles) or of the staff,
superuser and active flags, from a view, the admin or the shell alike. Each receiver only
records; none changes anything.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from audit import context
from audit.services import record

User = get_user_model()
FLAGS = {"is_superuser": "superuser", "is_staff": "staff"}


@receiver(user_logged_in, dispatch_uid="audit.login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record(action="auth.login", actor=user, obj=user, source_address=_source(request))


@receiver(user_logged_out, dispatch_uid="audit.logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(action="auth.logout", actor=user, obj=user, source_address=_source(request))


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django hands over the credentials with the password already masked; keep the name only.
    username = str((credentials or {}).get(User.USERNAME_FIELD) or (credentials or {}).get("username") or "")
    record(
        action="auth.login_failed",
        obj=("auth.user", "", username[:150]),
        details={"username": username[:150]},
        source_address=_source(request),
    )


@receiver(user_locked_out, dispatch_uid="audit.lockout")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    record(
        action="auth.lockout",
        obj=("auth.user", "", str(username or "")[:150]),
        details={"username": str(username or "")[:150]},
        source_address=_source(request),
    )


def _source(request) -> str | None:
    """The client's address from the request the signal carries, else the context's."""
    if request is not None and getattr(request, "META", None):
        return context.client_address(request) or context.source_address()
    return context.source_address()


# --- Roles: the user's groups ------------------------------------------------------------------


def _role_events(action: str, users: list, groups: list) -> None:
    actor = context.current_user()
    for user in users:
        for group in groups:
            record(action=action, actor=actor, obj=user, details={"role": group.name})


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit.roles")
def _groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """User.groups.add/remove/clear/set, and the reverse, Group.user_set.add/..."""
    if action == "pre_clear":
        # Who is about to lose what: read before the rows go.
        if reverse:
            instance._audit_cleared = (list(instance.user_set.all()), [instance])
        else:
            instance._audit_cleared = ([instance], list(instance.groups.all()))
        return
    if action == "post_clear":
        users, groups = getattr(instance, "_audit_cleared", ([], []))
        _role_events("role.revoke", users, groups)
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    verb = "role.grant" if action == "post_add" else "role.revoke"
    if reverse:  # instance is a Group, pk_set users
        _role_events(verb, list(User.objects.filter(pk__in=pk_set).order_by("pk")), [instance])
    else:
        _role_events(verb, [instance], list(Group.objects.filter(pk__in=pk_set).order_by("name")))


# --- Staff, superuser and active flags -----------------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="audit.user_flags_before")
def _flags_before(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    watched = {*FLAGS, "is_active"}
    if update_fields is not None and not watched & set(update_fields):
        return  # e.g. the last_login stamp at each login: no query
    before = User.objects.filter(pk=instance.pk).values(*watched).first()
    if before is not None:
        instance._audit_flags_before = before


@receiver(post_save, sender=User, dispatch_uid="audit.user_flags_after")
def _flags_after(sender, instance, created=False, raw=False, **kwargs) -> None:
    before = instance.__dict__.pop("_audit_flags_before", None)
    if raw:
        return
    actor = context.current_user()
    if created:
        granted = [role for flag, role in FLAGS.items() if getattr(instance, flag)]
        for role in granted:
            record(action="role.grant", actor=actor, obj=instance, details={"role": role})
        return
    if before is None:
        return
    for flag, role in FLAGS.items():
        if before[flag] != getattr(instance, flag):
            record(
                action="role.grant" if getattr(instance, flag) else "role.revoke",
                actor=actor,
                obj=instance,
                details={"role": role},
            )
    if before["is_active"] != instance.is_active:
        record(action="user.activate" if instance.is_active else "user.deactivate", actor=actor, obj=instance)
