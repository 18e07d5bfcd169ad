"""The audit log's actions, each with a label in the reader's language (Wagtail's registry of
log actions): what the audit page shows beside the dotted name, which stays for filtering.
The accounts' and people's actions are registered here; the messages' audited events by
posts.lifecycle (`register_event(..., audited=True)`), since this layer cannot import it."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {}


def register_action(name: str, label: Promise) -> None:
    if name in ACTIONS:
        raise ValueError(f"The audit action {name!r} is registered twice.")
    ACTIONS[name] = label


def action_label(name: str) -> str:
    """The action's label in the active language; the dotted name for one not registered."""
    label = ACTIONS.get(name)
    return str(label) if label is not None else name


for _name, _label in {
    # Logging in and the second factor (audit/receivers.py, security)
    "auth.login": _("logged in"),
    "auth.logout": _("logged out"),
    "auth.login_failed": _("failed to log in"),
    "auth.lockout": _("username locked out"),
    "auth.otp_verify": _("entered their authenticator code"),
    "auth.otp_failed": _("entered a wrong authenticator code"),
    "auth.otp_enrol": _("set up an authenticator app"),
    "auth.otp_enrol_refused": _("was refused setting up an authenticator app"),
    "auth.otp_reset": _("removed an authenticator app"),
    "auth.otp_grant_open": _("allowed setting up an authenticator app"),
    "auth.otp_grant_withdraw": _("withdrew the setting up of an authenticator app"),
    "access.denied": _("was refused a page"),
    # Roles, people and missions (audit/receivers.py, embassies, security)
    "role.grant": _("gave a role"),
    "role.revoke": _("took a role away"),
    "user.activate": _("activated a user"),
    "user.deactivate": _("deactivated a user"),
    "staff.membership_add": _("attached a person to a mission"),
    "staff.membership_remove": _("detached a person from a mission"),
    "staff.invite": _("invited a person"),
    "staff.invitation_mail": _("mailed an invitation's link"),
    "staff.invitation_resend": _("sent an invitation again"),
    "staff.invitation_revoke": _("withdrew an invitation"),
    "staff.invitation_accept": _("accepted an invitation"),
    "staff.deactivate": _("deactivated a person"),
    "staff.reactivate": _("reactivated a person"),
    "staff.languages_change": _("changed the languages a person reads"),
    "mission.hours_change": _("changed a mission's business hours"),
    # Social accounts (channels.services)
    "account.register": _("registered a social account"),
    "account.connect_start": _("started connecting a social account"),
    "account.connect": _("connected a social account"),
    "account.connect_refused": _("was refused connecting a social account"),
    "account.disconnect": _("disconnected a social account"),
    "account.disable": _("disabled a social account"),
    "account.expired": _("social account expired"),
    "account.revoked": _("social account revoked"),
    "account.credentials_rotate": _("sealed credentials under a new key"),
    # Global time: the review desks' targets (posts.services.review_clock)
    "review.targets": _("changed the review targets"),
    # The conversation desk's triage rules (conversations.services.triage_rules)
    "triage.pack_create": _("added a keyword pack"),
    "triage.pack_change": _("changed a keyword pack"),
    "triage.pack_delete": _("removed a keyword pack"),
    "triage.author_add": _("added a known author"),
    "triage.author_remove": _("removed a known author"),
    "triage.target_change": _("changed a service target"),
    # Moderation of the public's items (conversations.services.moderation): removing for
    # good is proposed, then confirmed by a second person; a rule's proposal, by a person.
    "moderation.propose": _("proposed removing an item of the public for good"),
    "moderation.confirm": _("confirmed a moderation proposal"),
    "moderation.dismiss": _("dismissed a moderation proposal"),
    # A conversation's triage corrected by hand (conversations.services.desk)
    "conversation.triage": _("corrected a conversation's triage"),
    # People under threat (conversations.services.protection): no name in the details.
    "conversation.protect": _("moved a conversation to the human-rights officer's queue"),
    "protected.allow_reply": _("allowed a reply in a protected conversation"),
    "protected.release": _("gave a protected conversation back to the desk"),
    "protected.person_add": _("put a person on the protected list"),
    "protected.person_remove": _("took a person off the protected list"),
    # Logged only, never stored: the workers' routine checks and refreshes of ~1,000 accounts.
    "account.health_check": _("checked a social account"),
    "account.refresh": _("renewed a social account's token"),
}.items():
    register_action(_name, _label)
