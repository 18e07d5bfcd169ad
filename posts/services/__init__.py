"""Writes on messages, reviews and deliveries: one module per area.

- `events`: the append-only trail (`record_event`), written in the caller's transaction.
- `messages`: drafting and editing (texts, targets, attachments, comments).
- `review`: submit, approve (writing the deliveries: the outbox), request changes, reject,
  cancel.
- `crisis`: crisis alerts across missions.
- The delivery engine (`dispatch`, `delivery`, `reconcile`, `sweeper`, `pause`,
  `operations` for retry, settle, release and retract, `summary`) publishes what was
  approved; every change of a delivery's state goes through `outcomes`. The states and
  transitions themselves live in posts.lifecycle.

Import from the module that holds a function (`from posts.services.review import
message_approve`): this package re-exports nothing, so importing one area never drags in
the others.
"""
