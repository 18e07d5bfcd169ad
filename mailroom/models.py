from django.db import models
from django.utils import timezone


class Mail(models.Model):
    """One e-mail to one address, written in the transaction that decided it, so that a broker
    down at commit loses nothing: beat's look queues again what never went out."""

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    queued_at = models.DateTimeField(default=timezone.now)
    # When a worker last took it (or was asked to): a mail waiting for a retry is not lost.
    tried_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["tried_at"], condition=models.Q(sent_at__isnull=True), name="mailroom_mail_unsent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
