"""The control API and the human pages: reset, received, counts, stats, feeds, media and
consent pages."""

from live.media_samples import png_bytes
from tests.channels.sandbox.conftest import add_fault, facebook_proof, received

X_AUTH = {"Authorization": "Bearer sbx.twitter.1001.a"}
PAYLOAD = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def _tweet(http, sandbox_url, text, account="1001"):
    response = http.post(
        f"{sandbox_url}/twitter/2/tweets",
        json={"text": text},
        headers={"Authorization": f"Bearer sbx.twitter.{account}.a"},
    )
    assert response.status_code == 201
    return response.json()["data"]["id"]


def test_reset_forgets_items_faults_and_statistics(http, sandbox, sandbox_url):
    _tweet(http, sandbox_url, "before")
    add_fault(http, sandbox_url, latency_ms=10)

    sandbox.reset()

    assert http.get(f"{sandbox_url}/_sandbox/stats").json()["requests"] == 1  # this very call
    assert received(http, sandbox_url) == []
    assert http.get(f"{sandbox_url}/_sandbox/faults").json() == {"rules": []}
    assert http.post(f"{sandbox_url}/_sandbox/reset").json() == {"ok": True}


def test_received_and_counts_filter_by_network_and_account(http, sandbox_url):
    _tweet(http, sandbox_url, "one", account="1")
    _tweet(http, sandbox_url, "two", account="2")
    http.post(
        f"{sandbox_url}/facebook/v24.0/5/feed",
        data={
            "message": "one",
            "access_token": "sbx.facebook.5.a",
            "appsecret_proof": facebook_proof("sbx.facebook.5.a"),
        },
    )

    assert [item["text"] for item in received(http, sandbox_url, network="twitter", account="2")] == ["two"]
    item = received(http, sandbox_url, network="facebook")[0]
    assert set(item) == {
        "network",
        "account",
        "id",
        "kind",
        "text",
        "title",
        "tags",
        "media",
        "created_at",
        "deleted",
    }
    counts = http.get(f"{sandbox_url}/_sandbox/counts").json()["counts"]
    assert [(c["network"], c["account"], c["text"], c["count"]) for c in counts] == [
        ("facebook", "5", "one", 1),
        ("twitter", "1", "one", 1),
        ("twitter", "2", "two", 1),
    ]
    assert http.get(f"{sandbox_url}/_sandbox/received", params={"network": "orkut"}).status_code == 400


def test_stats_count_requests_in_flight_and_peak(http, sandbox_url):
    _tweet(http, sandbox_url, "counted")

    stats = http.get(f"{sandbox_url}/_sandbox/stats").json()

    assert stats == {"requests": 2, "in_flight": 1, "peak_concurrency": 1}


def test_feed_escapes_texts_marks_direction_and_shows_images(http, sandbox_url):
    media_id = http.post(
        f"{sandbox_url}/twitter/2/media/upload",
        headers=X_AUTH,
        files={"media": ("p.png", png_bytes(), "image/png")},
    ).json()["data"]["id"]
    http.post(
        f"{sandbox_url}/twitter/2/tweets",
        headers=X_AUTH,
        json={"text": PAYLOAD, "media": {"media_ids": [media_id]}},
    )
    _tweet(http, sandbox_url, "مرحبا من السفارة")

    feed = http.get(f"{sandbox_url}/_sandbox/feed/twitter/1001")

    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in feed.text
    assert "<img src=x" not in feed.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in feed.text
    assert 'dir="auto">مرحبا من السفارة' in feed.text
    assert f'src="/_sandbox/media/{media_id}"' in feed.text
    assert feed.text.index("مرحبا") < feed.text.index("&lt;script&gt;")  # newest first


def test_every_network_has_a_feed_rendering(http, sandbox_url):
    http.post(
        f"{sandbox_url}/facebook/v24.0/5/feed",
        data={
            "message": PAYLOAD,
            "access_token": "sbx.facebook.5.a",
            "appsecret_proof": facebook_proof("sbx.facebook.5.a"),
        },
    )

    feed = http.get(f"{sandbox_url}/_sandbox/feed/facebook/5").text
    index = http.get(f"{sandbox_url}/_sandbox/").text

    assert "<script>alert" not in feed
    assert "1 published" in feed
    assert 'href="/_sandbox/feed/facebook/5"' in index
    for network in ("youtube", "flickr"):
        assert "Nothing received yet" in http.get(f"{sandbox_url}/_sandbox/feed/{network}/someone").text


def test_media_are_served_only_when_their_bytes_are_a_raster_image(http, sandbox_url):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    upload = http.post(
        f"{sandbox_url}/twitter/2/media/upload",
        headers=X_AUTH,
        data={"media_type": "image/svg+xml"},
        files={"media": ("x.svg", svg, "image/svg+xml")},
    ).json()["data"]

    assert http.get(f"{sandbox_url}/_sandbox/media/{upload['id']}").status_code == 404
    png = http.post(
        f"{sandbox_url}/twitter/2/media/upload",
        headers=X_AUTH,
        files={"media": ("p.png", png_bytes(), "application/octet-stream")},
    ).json()["data"]
    served = http.get(f"{sandbox_url}/_sandbox/media/{png['id']}")
    assert served.headers["Content-Type"] == "image/png"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_consent_page_escapes_the_request_and_refuses_a_bad_account_id(http, sandbox_url):
    page_url = f"{sandbox_url}/google-oauth/o/oauth2/auth"
    params = {"client_id": PAYLOAD, "redirect_uri": "https://hub.example/cb", "scope": "<b>youtube</b>"}

    page = http.get(page_url, params=params)
    refused = http.post(page_url, params=params, data={"decision": "authorize", "account_id": "has.dots"})

    assert "Sandbox YouTube: authorise Diplomacy Hub?" in page.text
    assert "<script>alert" not in page.text
    assert "<b>youtube" not in page.text
    for element_id in ("authorize", "deny", "account_id"):
        assert f'id="{element_id}"' in page.text
    assert refused.status_code == 400
    assert http.get(page_url, params={"client_id": "c"}).status_code == 400  # no redirect_uri


def test_unknown_paths_answer_404(http, sandbox_url):
    assert http.get(f"{sandbox_url}/_sandbox/nothing").status_code == 404
    assert http.get(f"{sandbox_url}/myspace/api").status_code == 404
    assert http.get(f"{sandbox_url}/twitter/1.1/statuses/update.json").status_code == 404
