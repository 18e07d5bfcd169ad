from diplomacy_hub.tasks import task
from mailroom.services import mail_queue_unsent


@task(name="mail.queue_unsent")
def queue_unsent(**kwargs) -> None:
    """Beat's look for mails whose task never reached a worker: queued again."""
    mail_queue_unsent()
