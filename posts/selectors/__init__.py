"""Reads, always through the policy's scope (diplomacy_hub.policy): a row another user may
not see is simply not found. One module per area; the message reads are re-exported here.

- messages: the message list and page, the review queue, the compose form's choices;
- dashboard: each role's panels;
- calendar: days counted and cut in SQL;
- operations: deliveries counted, the monitor, what is held, crisis alerts' reach;
- pauses: the pauses in force and what each covers; crisis: whom an alert reaches.
"""

from posts.selectors.messages import (
    message_fresh,
    message_get,
    message_list,
    messages_filtered,
    review_queue,
    review_queue_filtered,
)

__all__ = [
    "message_fresh",
    "message_get",
    "message_list",
    "messages_filtered",
    "review_queue",
    "review_queue_filtered",
]
