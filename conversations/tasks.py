"""The conversation desk's Celery tasks, on the `listen` queue (replies and moderation on
the publishing and maintenance ones: settings.CELERY_TASK_ROUTES): each takes ids, calls one
service. Beat ticks `poll_due`, which claims due cursors in the database and sends one
`poll_account` per account; a lost message costs nothing, the claim lapses and is taken again.
Beat also ticks `drain_webhooks`, which ingests the pushed deliveries the webhooks kept."""

from __future__ import annotations

import logging

from conversations.services import moderation, replies
from conversations.services.clocks import conversations_check_clocks
from conversations.services.desk import conversations_wake_snoozed
from conversations.services.inbox import viewers_forget
from conversations.services.polling import account_poll, cursors_claim_due
from conversations.services.webhooks import webhooks_drain
from diplomacy_hub.tasks import task

logger = logging.getLogger(__name__)


@task(name="conversations.poll_due")
def poll_due(**kwargs) -> None:
    claimed = cursors_claim_due()
    for claimed_cursor in claimed:
        poll_account.delay(claimed_cursor.cursor_id, claimed_cursor.claim)
    if claimed:
        logger.info("Listening: %d accounts due.", len(claimed))


@task(name="conversations.poll_account")
def poll_account(cursor_id: int, claim: str, **kwargs) -> None:
    outcome = account_poll(cursor_id=cursor_id, claim=claim)
    if outcome.result is not None and (outcome.result.created or outcome.result.updated):
        logger.info("Cursor %s: %s", cursor_id, outcome.result)


@task(name="conversations.drain_webhooks")
def drain_webhooks(**kwargs) -> None:
    drained = webhooks_drain()
    if drained.deliveries or drained.failed:
        logger.info("Webhooks: %s", drained)


@task(name="conversations.wake_snoozed")
def wake_snoozed(**kwargs) -> None:
    woken = conversations_wake_snoozed()
    if woken:
        logger.info("Conversations: %d snoozes ended.", woken)


@task(name="conversations.forget_viewers")
def forget_viewers(**kwargs) -> None:
    viewers_forget()


@task(name="conversations.check_clocks")
def check_clocks(**kwargs) -> None:
    tick = conversations_check_clocks()
    if tick.warned or tick.escalated or tick.after_hours:
        logger.info("Service clocks: %s", tick)


@task(name="conversations.send_reply")
def send_reply(reply_id: int, **kwargs) -> None:
    outcome = replies.reply_send(reply_id=reply_id)
    if outcome != "skipped":
        logger.info("Reply %s: %s", reply_id, outcome)


@task(name="conversations.reconcile_reply")
def reconcile_reply(reply_id: int, **kwargs) -> None:
    replies.reply_reconcile(reply_id=reply_id)


@task(name="conversations.sweep_replies")
def sweep_replies(**kwargs) -> None:
    swept = replies.replies_sweep()
    again = moderation.moderation_sweep()
    if swept.sent_again or swept.unknown or swept.reconciling or again:
        logger.info("Replies: %s; moderation asked again: %s", swept, again)


@task(name="conversations.moderate_item")
def moderate_item(action_id: int, **kwargs) -> None:
    moderation.moderation_apply(action_id=action_id)
