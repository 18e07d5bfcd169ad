"""Emails about social accounts: the administrators hear of an account that must be
reconnected (expired or revoked token, missing permission). Sent after commit by a task
(diplomacy_hub.mail)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from channels.models import SocialAccount, network_label
from diplomacy_hub.mail import absolute_url, mail_queue, users_in_groups
from embassies.roles import Role


def _account_link(account: SocialAccount) -> str:
    for name in ("channels:account_detail", "admin:channels_socialaccount_change"):
        try:
            return absolute_url(reverse(name, args=[account.pk]))
        except NoReverseMatch:
            continue
    return absolute_url("/")


def notify_admins_of_account_problem(*, account: SocialAccount, reason: str) -> int:
    """Tell the administrators that an account must be reconnected, with the reason in
    words. Call inside the transaction that changed the account; returns how many emails
    were queued."""
    context = {
        "network": network_label(account.network),
        "account_name": account.handle or account.display_name or f"#{account.pk}",
        "mission_name": account.mission.name,
        "reason": reason,
        "link": _account_link(account),
    }
    return mail_queue(
        subject=f"Reconnect {context['network']} {context['account_name']} ({account.mission.name})",
        template="account_problem.txt",
        context=context,
        recipients=[user.email for user in users_in_groups(Role.ADMINISTRATOR)],
    )
