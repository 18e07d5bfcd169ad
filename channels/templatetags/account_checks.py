"""An account's last health check, worded in the reader's language (channels.problems)."""

from __future__ import annotations

from django import template

from channels.models import SocialAccount
from channels.problems import word

register = template.Library()


@register.filter
def check_result(account: SocialAccount) -> str:
    """`{{ account|check_result }}`: the check's code worded for this reader; the recorded
    text for a row written before checks had codes."""
    return word(account.last_check_code, account.last_check_params, default=account.last_check_result)
