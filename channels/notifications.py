"""Emails about social accounts: the administrators hear of an account that must be
reconnected (expired or revoked token, missing permission), each in their language. Sent
after commit by a task (diplomacy_hub.mail)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from channels.models import SocialAccount, account_name, network_label
from channels.problems import word_said
from diplomacy_hub.mail import absolute_url, mail_queue, users_in_groups
from embassies.roles import Role
from security.selectors import mail_recipients


def _account_link(account: SocialAccount) -> str:
    for name in ("channels:account_detail", "admin:channels_socialaccount_change"):
        try:
            return absolute_url(reverse(name, args=[account.pk]))
        except NoReverseMatch:
            continue
    return absolute_url("/")


def notify_admins_of_account_problem(*, account: SocialAccount, reason: Mapping[str, Any] | str) -> int:
    """Tell the administrators that an account must be reconnected, with the reason (a
    problem kept as `{"code", "params", "text"}`, or the network's words) worded in each
    one's language. Call inside the transaction that changed the account; returns how many
    emails were queued."""
    said = reason if isinstance(reason, Mapping) else {"code": "", "params": {}, "text": str(reason)}

    def context() -> dict[str, Any]:
        return {
            "network": network_label(account.network),
            "account_name": account_name(account),
            "mission_name": account.mission.display_name,
            "reason": word_said(said),
            "link": _account_link(account),
        }

    def subject() -> str:
        return _("Reconnect %(network)s %(account)s (%(mission)s)") % {
            "network": network_label(account.network),
            "account": account_name(account),
            "mission": account.mission.display_name,
        }

    return mail_queue(
        subject=subject,
        template="account_problem.txt",
        context=context,
        recipients=mail_recipients(users_in_groups(Role.ADMINISTRATOR)),
    )
