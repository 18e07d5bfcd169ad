"""A Facebook video through the engine, the real adapter and the sandbox: when Facebook
took it but the answer was lost, reconciliation finds the Video (not only its Page post),
the delivery keeps both ids, and retracting deletes the Video itself."""

from __future__ import annotations

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from channels.models import Network
from live.media_samples import mp4_bytes
from posts.models import Delivery
from posts.services.delivery import delivery_publish
from posts.services.dispatch import dispatch_due
from posts.services.messages import attachment_add
from posts.services.operations import delivery_retract
from posts.services.reconcile import delivery_reconcile
from posts.services.review import message_approve, message_submit
from tests.channels.adapters.helpers import seed_hitting_call
from tests.posts.factories import account, draft_message, officer, press_officer

from .helpers import deliveries_of

pytestmark = pytest.mark.django_db
S = Delivery.State
PAGE = "104000000000777"
TEXT = "Le discours de l'ambassadeur pour la fête nationale."


def _received(sandbox_url: str) -> list[dict]:
    answer = requests.get(f"{sandbox_url}/_sandbox/received", params={"network": "facebook"}, timeout=5)
    return answer.json()["items"]


def test_a_video_whose_answer_was_lost_is_reconciled_to_the_video_and_retract_deletes_it(
    settings, sandbox_url, real_adapters
):
    settings.SANDBOX_URL = sandbox_url
    settings.NETWORK_READ_TIMEOUT = 1.0
    target = account("emb-jp-tokyo", Network.FACEBOOK, network_account_id=PAGE)
    author = officer("emb-jp-tokyo")
    message = draft_message(author=author, mission_or_code="emb-jp-tokyo", texts={"fr": TEXT}, targets=[target])
    attachment_add(
        actor=author,
        message_id=message.pk,
        uploaded_file=SimpleUploadedFile("discours.mp4", mp4_bytes(), content_type="video/mp4"),
    )
    message_submit(actor=author, message_id=message.pk)
    message_approve(actor=press_officer(), message_id=message.pk, publish_at=None)
    dispatch_due()
    (delivery,) = deliveries_of(message)
    # Start, transfer, then the finish: Facebook publishes the video, its answer never comes.
    rule = {"network": "facebook", "timeout_rate": 0.5, "hang_seconds": 3, "count": 3, "seed": seed_hitting_call(3)}
    assert requests.post(f"{sandbox_url}/_sandbox/faults", json=rule, timeout=5).status_code == 201

    delivery_publish(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN
    [video] = _received(sandbox_url)

    delivery_reconcile(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.external_id) == (S.SENT, video["id"])
    assert delivery.external_post_id.startswith(f"{PAGE}_")
    assert delivery.external_url == f"{sandbox_url}/_sandbox/post/facebook/{video['id']}"

    assert delivery_retract(delivery_id=delivery.pk) == "deleted"
    assert [(item["id"], item["deleted"]) for item in _received(sandbox_url)] == [(video["id"], True)]
