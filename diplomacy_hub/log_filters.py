"""Logging filters that keep the console to what a person needs: the dispatcher's and the
webhook drain's idle ticks are not logged (a tick that found work logs its own line), and a refusal is one line."""

from __future__ import annotations

import logging

# Beat's ticks, one a second or more: each one that finds work says so itself (posts.tasks,
# conversations.tasks).
QUIET_TASKS = frozenset({"posts.dispatch_due", "conversations.drain_webhooks"})


class QuietTicks(logging.Filter):
    """Drops Celery's routine INFO lines ("Sending due task", "received", "succeeded") for
    the tasks in QUIET_TASKS; their warnings and errors pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        args = record.args
        if isinstance(args, dict):  # the worker's "Task %(name)s[%(id)s] received/succeeded"
            return args.get("name") not in QUIET_TASKS
        if isinstance(args, tuple):  # beat's "Scheduler: Sending due task %s (%s)"
            return not any(arg in QUIET_TASKS for arg in args if isinstance(arg, str))
        return True


class RefusalsInOneLine(logging.Filter):
    """A 403 is an answer the app chose, not a fault: Django logs it with the exception's
    traceback, which says nothing a person needs. The line stays, the traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
