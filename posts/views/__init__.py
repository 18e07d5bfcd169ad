"""The publishing pages, one module per area:

- dashboard: what needs each role now;
- compose: the form, autosave, the live preview, a local time at headquarters;
- detail: the message page and the decisions taken from it;
- review_queue, calendar;
- monitor: the delivery monitor and its actions; pause: the pause switch;
- crisis: crisis alerts and their board; health: the engine's health (page and /healthz).

Views are thin: bind a form, call a service (posts/services/), render. Reads go through
posts/selectors/ (and `policy.scope`), so another mission's row is simply not found.
Services ask the policy and enforce every rule; views ask it only to decide which buttons
to show. Presentation helpers: previews.py (cards and counters), words.py (problems and
scopes in words), confirm.py (every action's confirmation page).
"""

from posts.views.calendar import calendar
from posts.views.compose import message_autosave, message_create, message_edit, message_preview, time_in_hq
from posts.views.crisis import crisis_approve, crisis_board, crisis_create, crisis_list, crisis_reach_preview
from posts.views.dashboard import dashboard
from posts.views.desks import review_times, silences
from posts.views.detail import (
    attachment_file,
    comment_add,
    message_approve,
    message_detail,
    message_reject,
    message_request_changes,
    message_submit,
)
from posts.views.health import health, healthz
from posts.views.monitor import (
    delivery_retry,
    delivery_settle,
    monitor,
    monitor_cancel,
    monitor_list,
    monitor_release,
    monitor_retract,
    monitor_retry_failed,
)
from posts.views.pause import pause, pause_release, pause_resume
from posts.views.review_queue import review_queue

__all__ = [
    "attachment_file",
    "calendar",
    "comment_add",
    "crisis_approve",
    "crisis_board",
    "crisis_create",
    "crisis_list",
    "crisis_reach_preview",
    "dashboard",
    "delivery_retry",
    "delivery_settle",
    "health",
    "healthz",
    "message_approve",
    "message_autosave",
    "message_create",
    "message_detail",
    "message_edit",
    "message_preview",
    "message_reject",
    "message_request_changes",
    "message_submit",
    "monitor",
    "monitor_cancel",
    "monitor_list",
    "monitor_release",
    "monitor_retract",
    "monitor_retry_failed",
    "pause",
    "pause_release",
    "pause_resume",
    "review_queue",
    "review_times",
    "silences",
    "time_in_hq",
]
