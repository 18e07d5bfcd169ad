"""The Django admin's cancel action records its reason as words in the language its user
works in, like a reason a person types, never an English sentence for a French reader."""

import pytest
from django.urls import reverse

from posts.models import Event, Message
from tests.posts.factories import approved_message, officer, press_officer
from tests.security.otp import force_verified_login

pytestmark = pytest.mark.django_db


def test_the_admin_cancel_reason_is_in_its_users_language(client):
    press = press_officer(is_staff=True)
    message = approved_message(approver=press_officer(), author=officer("emb-eg-cairo"), mission_or_code="emb-eg-cairo")
    force_verified_login(client, press)
    client.cookies["django_language"] = "fr"

    response = client.post(
        reverse("admin:posts_message_changelist"),
        {"action": "cancel_messages", "_selected_action": [message.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert Message.objects.get(pk=message.pk).state == Message.State.CANCELLED
    event = Event.objects.filter(message=message, verb="message.cancel").get()
    assert event.details["reason"] == "Annulé depuis l’administration."
