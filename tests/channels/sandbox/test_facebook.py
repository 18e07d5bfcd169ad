"""The sandbox's Graph API: Page posts, photos, videos, reads, the Login dialog and token
exchanges, and facebook-sdk's own call path through channels.adapters.transport."""

import hashlib
import hmac
import io
import json

import facebook
import pytest

from channels.adapters.transport import browser_url, make_session
from channels.sandbox.server import SandboxServer
from live.media_samples import jpeg_bytes, mp4_bytes, png_bytes
from tests.channels.adapters.helpers import FACEBOOK
from tests.channels.sandbox.conftest import add_fault, consent, received

PAGE = "5550001"
TOKEN = f"sbx.facebook.{PAGE}.page-token"
# The adapter tests' app, which the suite's sandbox knows and which requires the proof.
SECRET = FACEBOOK.app.client_secret


def proof(token: str = TOKEN, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def graph(http, sandbox_url):
    """A Graph call as Page 5550001 (the token rides in the query or the form, as in the
    SDK), with its appsecret_proof."""

    def call(method: str, path: str, **kwargs):
        target = "data" if method == "POST" else "params"
        fields = kwargs.get(target, {})
        token = fields.get("access_token", TOKEN)
        kwargs[target] = {"access_token": TOKEN, "appsecret_proof": proof(token), **fields}
        return http.request(method, f"{sandbox_url}/facebook/v24.0{path}", **kwargs)

    return call


def test_feed_post_answers_page_post_id(graph, http, sandbox_url):
    response = graph("POST", f"/{PAGE}/feed", data={"message": "Bonjour", "link": "https://example.org"})

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    post_id = response.json()["id"]
    assert post_id.startswith(f"{PAGE}_")
    [item] = received(http, sandbox_url, network="facebook")
    assert (item["id"], item["kind"], item["text"]) == (post_id, "post", "Bonjour")


def test_duplicate_message_is_code_506(graph):
    graph("POST", f"/{PAGE}/feed", data={"message": "Same words"})

    duplicate = graph("POST", f"/{PAGE}/feed", data={"message": "Same words"})

    assert duplicate.status_code == 400
    error = duplicate.json()["error"]
    assert (error["code"], error["message"], error["type"]) == (
        506,
        "(#506) Duplicate status message",
        "OAuthException",
    )
    assert error["fbtrace_id"]


def test_published_photo_is_a_post_and_unpublished_photos_attach_to_one(graph, http, sandbox_url):
    photo = graph(
        "POST",
        f"/{PAGE}/photos",
        data={"message": "Reception"},
        files={"source": ("a.jpg", jpeg_bytes(), "image/jpeg")},
    ).json()
    assert set(photo) == {"id", "post_id"}

    first = graph(
        "POST",
        f"/{PAGE}/photos",
        data={"published": "false"},
        files={"source": ("b.png", png_bytes(), "image/png")},
    ).json()
    second = graph(
        "POST",
        f"/{PAGE}/photos",
        data={"published": "false"},
        files={"source": ("c.png", png_bytes(color="red"), "image/png")},
    ).json()
    assert set(first) == {"id"}
    album = graph(
        "POST",
        f"/{PAGE}/feed",
        data={
            "message": "Two pictures",
            "attached_media": json.dumps([{"media_fbid": first["id"]}, {"media_fbid": second["id"]}]),
        },
    )
    assert album.status_code == 200

    items = received(http, sandbox_url, network="facebook")
    assert [(item["kind"], len(item["media"])) for item in items] == [("photo", 1), ("post", 2)]
    # A photo cannot be attached twice.
    again = graph(
        "POST",
        f"/{PAGE}/feed",
        data={"message": "Again", "attached_media": json.dumps([{"media_fbid": first["id"]}])},
    )
    assert again.json()["error"]["code"] == 100


def test_video_upload_answers_an_id(graph, http, sandbox_url):
    response = graph(
        "POST",
        f"/{PAGE}/videos",
        data={"description": "Speech", "title": "Speech"},
        files={"source": ("v.mp4", mp4_bytes(), "video/mp4")},
    )

    assert set(response.json()) == {"id"}
    assert received(http, sandbox_url, network="facebook")[0]["media"][0]["type"] == "video/mp4"


def test_delete_then_delete_again_is_code_100_subcode_33(graph):
    post_id = graph("POST", f"/{PAGE}/feed", data={"message": "Short-lived"}).json()["id"]

    assert graph("DELETE", f"/{post_id}").json() == {"success": True}
    gone = graph("DELETE", f"/{post_id}").json()["error"]
    assert (gone["code"], gone["error_subcode"]) == (100, 33)


def test_reads_page_fields_post_engagement_and_published_posts(graph):
    post_id = graph("POST", f"/{PAGE}/feed", data={"message": "Read me"}).json()["id"]

    page = graph("GET", f"/{PAGE}", params={"fields": "followers_count,fan_count,name"}).json()
    assert set(page) == {"id", "followers_count", "fan_count", "name"}
    post = graph(
        "GET",
        f"/{post_id}",
        params={"fields": "reactions.summary(total_count),comments.summary(total_count),shares"},
    ).json()
    assert post["reactions"]["summary"]["total_count"] >= 0
    assert post["comments"]["summary"]["total_count"] >= 0
    posts = graph("GET", f"/{PAGE}/published_posts", params={"fields": "message,created_time"}).json()["data"]
    assert posts == [{"id": post_id, "message": "Read me", "created_time": posts[0]["created_time"]}]
    assert posts[0]["created_time"].endswith("+0000")


def test_bad_tokens_and_foreign_pages_are_refused(graph, http, sandbox_url):
    no_token = http.post(f"{sandbox_url}/facebook/v24.0/{PAGE}/feed", data={"message": "x"})
    assert no_token.status_code == 400
    garbage = graph("POST", f"/{PAGE}/feed", data={"message": "x", "access_token": "EAAB"})
    assert garbage.json()["error"]["code"] == 190
    foreign = graph("POST", "/999/feed", data={"message": "x"})
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, 200)


def test_login_dialog_code_exchange_long_lived_token_and_page_token(http, sandbox_url):
    graph = facebook.GraphAPI(session=make_session(sandbox_url=sandbox_url))
    graph.version = "v24.0"
    dialog = graph.get_auth_url("app1", "https://hub.example/fb", perms=["pages_manage_posts"], state="st")

    callback = consent(
        http,
        browser_url(dialog, sandbox_url=sandbox_url),
        account_id=PAGE,
        display_name="Ambassade de France",
    )
    assert callback["state"] == "st"
    user = graph.get_access_token_from_code(callback["code"], "https://hub.example/fb", "app1", "secret")
    long_lived = facebook.GraphAPI(user["access_token"], session=make_session(sandbox_url=sandbox_url))
    long_lived.version = "v24.0"
    extended = long_lived.extend_access_token("app1", "secret")
    pages = long_lived.get_connections("me", "accounts", appsecret_proof=proof(user["access_token"]))["data"]

    assert extended["access_token"].startswith(f"sbx.facebook.{PAGE}.user-")
    assert [(page["id"], page["name"]) for page in pages] == [(PAGE, "Ambassade de France")]
    debug = http.get(
        f"{sandbox_url}/facebook/v24.0/debug_token",
        params={"input_token": pages[0]["access_token"], "access_token": "app1|secret"},
    ).json()
    assert debug["data"]["is_valid"] is True
    assert debug["data"]["type"] == "PAGE"
    # A user token manages the Page but cannot post as it.
    assert (
        http.post(
            f"{sandbox_url}/facebook/v24.0/{PAGE}/feed",
            data={"message": "x", "access_token": user["access_token"], "appsecret_proof": proof(user["access_token"])},
        ).status_code
        == 403
    )


def test_denied_login_redirects_with_user_denied(http, sandbox_url):
    dialog = f"{sandbox_url}/facebook/v24.0/dialog/oauth?client_id=app1&redirect_uri=https://hub.example/fb&state=z"

    answer = consent(http, dialog, decision="deny")

    assert (answer["error"], answer["error_reason"], answer["state"]) == ("access_denied", "user_denied", "z")


def test_facebook_sdk_posts_photographs_reads_and_deletes_through_the_transport(sandbox_url):
    graph = facebook.GraphAPI(access_token=TOKEN, session=make_session(sandbox_url=sandbox_url))
    graph.version = "v24.0"

    post = graph.put_object(PAGE, "feed", message="Through facebook-sdk", appsecret_proof=proof())
    photo = graph.put_photo(
        image=io.BytesIO(png_bytes()), album_path=f"{PAGE}/photos", message="Caption", appsecret_proof=proof()
    )
    read = graph.get_object(
        post["id"], fields="reactions.summary(total_count),comments.summary(total_count)", appsecret_proof=proof()
    )
    deleted = graph.request(f"v24.0/{photo['post_id']}", args={"appsecret_proof": proof()}, method="DELETE")

    assert read["id"] == post["id"]
    assert deleted == {"success": True}
    with pytest.raises(facebook.GraphAPIError) as refused:
        graph.put_object(PAGE, "feed", message="Through facebook-sdk", appsecret_proof=proof())
    assert refused.value.code == 506
    with pytest.raises(facebook.GraphAPIError, match="require an appsecret_proof"):
        graph.put_object(PAGE, "feed", message="Without the proof")


# --- appsecret_proof, the resumable video upload, a video's two ids, 368 ----------------------------


def test_calls_without_the_proof_or_with_a_wrong_one_are_refused_as_graph_does(graph, http, sandbox_url):
    missing = http.get(f"{sandbox_url}/facebook/v24.0/me", params={"access_token": TOKEN})
    wrong = graph("GET", "/me", params={"appsecret_proof": proof(secret="not-the-secret")})
    right = graph("GET", "/me")

    assert missing.json()["error"] | {"fbtrace_id": ""} == {
        "message": "API calls from the server require an appsecret_proof argument",
        "type": "GraphMethodException",
        "code": 100,
        "fbtrace_id": "",
    }
    assert (wrong.status_code, wrong.json()["error"]["message"]) == (
        400,
        "Invalid appsecret_proof provided in the API argument",
    )
    assert right.json()["id"] == PAGE


def test_a_sandbox_that_knows_no_facebook_app_checks_no_proof_and_apps_outlive_a_reset(http):
    server = SandboxServer().start()
    try:
        me = f"{server.url}/facebook/v24.0/me"
        assert http.get(me, params={"access_token": TOKEN}).status_code == 200
        registered = http.post(
            f"{server.url}/_sandbox/apps", json={"network": "facebook", "key": "k", "secret": SECRET}
        )
        assert registered.status_code == 201
        http.post(f"{server.url}/_sandbox/reset")
        assert http.get(me, params={"access_token": TOKEN}).json()["error"]["code"] == 100  # now required
        assert http.get(me, params={"access_token": TOKEN, "appsecret_proof": proof()}).status_code == 200
    finally:
        server.stop()


def _transfer(graph, session: str, start: int, data: bytes):
    return graph(
        "POST",
        f"/{PAGE}/videos",
        data={"upload_phase": "transfer", "upload_session_id": session, "start_offset": str(start)},
        files={"video_file_chunk": ("chunk", data, "application/octet-stream")},
    )


def test_resumable_video_upload_start_transfer_finish(graph, http, sandbox_url):
    video = mp4_bytes(padding=1536 * 1024)  # two ranges of at most 1 MiB
    started = graph("POST", f"/{PAGE}/videos", data={"upload_phase": "start", "file_size": str(len(video))}).json()
    session, video_id = started["upload_session_id"], started["video_id"]
    assert (started["start_offset"], started["end_offset"]) == ("0", str(1024 * 1024))

    early = graph("POST", f"/{PAGE}/videos", data={"upload_phase": "finish", "upload_session_id": session})
    assert (early.json()["error"]["code"], early.json()["error"]["error_subcode"]) == (6000, 1363045)
    first = _transfer(graph, session, 0, video[: 1024 * 1024]).json()
    assert first == {"start_offset": str(1024 * 1024), "end_offset": str(len(video))}
    wrong_offset = _transfer(graph, session, 0, video[:10]).json()["error"]
    assert (wrong_offset["code"], wrong_offset["error_subcode"]) == (6001, 1363037)
    assert wrong_offset["error_data"] == {"start_offset": 1024 * 1024, "end_offset": len(video)}  # what to send
    last = _transfer(graph, session, 1024 * 1024, video[1024 * 1024 :]).json()
    assert last == {"start_offset": str(len(video)), "end_offset": str(len(video))}
    assert received(http, sandbox_url, network="facebook") == []  # nothing is out before finish
    finished = graph(
        "POST",
        f"/{PAGE}/videos",
        data={"upload_phase": "finish", "upload_session_id": session, "description": "Discours", "title": "T"},
    )

    assert finished.json() == {"success": True}
    [item] = received(http, sandbox_url, network="facebook")
    assert (item["id"], item["kind"], item["text"], item["media"][0]["size"]) == (
        video_id,
        "video",
        "Discours",
        len(video),
    )


def test_a_video_is_a_video_and_a_page_post_and_deleting_the_post_leaves_the_video(graph, http, sandbox_url):
    video_id = graph(
        "POST", f"/{PAGE}/videos", data={"description": "Vidéo"}, files={"source": ("v.mp4", mp4_bytes(), "video/mp4")}
    ).json()["id"]

    video = graph("GET", f"/{video_id}", params={"fields": "post_id,description,likes.summary(total_count)"}).json()
    post_id = video["post_id"]
    [post] = graph("GET", f"/{PAGE}/published_posts", params={"fields": "message,attachments"}).json()["data"]
    assert post_id != video_id
    assert post["id"] == post_id
    assert post["attachments"]["data"][0]["target"]["id"] == video_id
    assert post["attachments"]["data"][0]["media_type"] == "video"
    no_reactions = graph("GET", f"/{video_id}", params={"fields": "reactions.summary(total_count)"}).json()
    assert (
        no_reactions["error"]["message"] == "(#100) Tried accessing nonexisting field (reactions) on node type (Video)"
    )

    assert graph("DELETE", f"/{post_id}").json() == {"success": True}
    assert graph("GET", f"/{PAGE}/published_posts").json()["data"] == []
    assert "post deleted, video kept" in http.get(f"{sandbox_url}/_sandbox/feed/facebook/{PAGE}").text
    assert graph("GET", f"/{video_id}", params={"fields": "description"}).json()["description"] == "Vidéo"
    [listed] = graph("GET", f"/{PAGE}/videos", params={"fields": "id,description"}).json()["data"]
    assert listed == {"id": video_id, "description": "Vidéo"}
    assert graph("DELETE", f"/{video_id}").json() == {"success": True}
    assert graph("GET", f"/{PAGE}/videos").json()["data"] == []


def test_photos_keep_their_alt_text(graph, http, sandbox_url):
    graph(
        "POST",
        f"/{PAGE}/photos",
        data={"message": "Accueil", "alt_text_custom": "L'ambassadrice accueille les invités"},
        files={"source": ("a.png", png_bytes(), "image/png")},
    )

    [item] = received(http, sandbox_url, network="facebook")
    assert item["media"][0]["alt_text"] == "L'ambassadrice accueille les invités"


def test_the_blocked_refusal_is_code_368_and_stores_nothing(graph, http, sandbox_url):
    add_fault(http, sandbox_url, network="facebook", refusal="blocked", count=1)

    blocked = graph("POST", f"/{PAGE}/feed", data={"message": "Trop vite"})

    assert (blocked.status_code, blocked.json()["error"]["code"]) == (400, 368)
    assert received(http, sandbox_url, network="facebook") == []
    assert graph("POST", f"/{PAGE}/feed", data={"message": "Trop vite"}).status_code == 200
