"""The sandbox's YouTube Data API v3 and Google OAuth: the resumable upload protocol, lists,
errors as Google writes them, and google-api-python-client's own call path."""

import io
import json

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from channels.adapters.transport import Timeouts, browser_url, make_httplib2, mount_on
from live.media_samples import mp4_bytes
from tests.channels.sandbox.conftest import add_fault, consent, received

CHANNEL = "UCsandboxchannel000001"
TOKEN = f"sbx.youtube.{CHANNEL}.a"
REFRESH_TOKEN = f"sbxr.youtube.{CHANNEL}.r"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
METADATA = {
    "snippet": {
        "title": "Press conference",
        "description": "Live from the residence",
        "tags": ["diplomacy", "dh-ref-42"],
        "categoryId": "25",
    },
    "status": {"privacyStatus": "unlisted"},
}


def _start(http, sandbox_url, metadata=METADATA, size=1000):
    return http.post(
        f"{sandbox_url}/youtube/upload/youtube/v3/videos",
        params={"uploadType": "resumable", "part": "snippet,status"},
        json=metadata,
        headers=AUTH | {"X-Upload-Content-Length": str(size), "X-Upload-Content-Type": "video/mp4"},
    )


def test_resumable_upload_answers_308_with_range_until_the_last_chunk(http, sandbox_url):
    session = _start(http, sandbox_url)
    assert session.status_code == 200
    location = session.headers["Location"]
    assert location.startswith(f"{sandbox_url}/youtube/upload/youtube/v3/videos?")

    first = http.put(location, data=b"x" * 600, headers={"Content-Range": "bytes 0-599/1000"})
    assert (first.status_code, first.headers["Range"]) == (308, "bytes=0-599")
    status = http.put(location, headers={"Content-Range": "bytes */1000"})
    assert (status.status_code, status.headers["Range"]) == (308, "bytes=0-599")
    last = http.put(location, data=b"x" * 400, headers={"Content-Range": "bytes 600-999/1000"})

    assert last.status_code == 200
    video = last.json()
    assert video["kind"] == "youtube#video"
    assert video["snippet"]["title"] == "Press conference"
    assert video["snippet"]["channelId"] == CHANNEL
    assert video["status"]["privacyStatus"] == "unlisted"
    # Asking again after completion gives the resource again.
    assert http.put(location, headers={"Content-Range": "bytes */1000"}).json()["id"] == video["id"]
    [item] = received(http, sandbox_url, network="youtube")
    assert (item["title"], item["text"], item["tags"]) == (
        "Press conference",
        "Live from the residence",
        ["diplomacy", "dh-ref-42"],
    )


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        ({"title": ""}, "invalidTitle"),
        ({"title": "x" * 101}, "invalidTitle"),
        ({"title": "ok", "description": "<script>"}, "invalidDescription"),
        ({"title": "ok", "tags": ["t" * 300, "u" * 300]}, "invalidTags"),
    ],
)
def test_invalid_metadata_is_refused_at_session_start(http, sandbox_url, snippet, reason):
    response = _start(http, sandbox_url, {"snippet": snippet})

    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == reason


def test_delete_answers_204_then_404_video_not_found(http, sandbox_url):
    location = _start(http, sandbox_url, size=3).headers["Location"]
    video_id = http.put(location, data=b"abc", headers={"Content-Range": "bytes 0-2/3"}).json()["id"]
    videos = f"{sandbox_url}/youtube/youtube/v3/videos"

    assert http.delete(videos, params={"id": video_id}, headers=AUTH).status_code == 204
    again = http.delete(videos, params={"id": video_id}, headers=AUTH)
    assert again.status_code == 404
    assert again.json()["error"]["errors"][0]["reason"] == "videoNotFound"


def test_missing_token_is_401_with_google_error_body(http, sandbox_url):
    response = http.get(f"{sandbox_url}/youtube/youtube/v3/channels", params={"part": "snippet", "mine": "true"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401
    assert response.json()["error"]["errors"][0]["reason"] == "authError"


def _youtube(sandbox_url, token=TOKEN, refresh_token=REFRESH_TOKEN):
    creds = Credentials(
        token=token,
        refresh_token=refresh_token,
        client_id="cid",
        client_secret="secret",
        token_uri="https://oauth2.googleapis.com/token",
    )
    return build(
        "youtube",
        "v3",
        http=AuthorizedHttp(creds, http=make_httplib2(sandbox_url=sandbox_url)),
        static_discovery=True,
    )


def test_api_client_uploads_in_chunks_lists_searches_and_deletes(sandbox_url):
    youtube = _youtube(sandbox_url)
    video = mp4_bytes(padding=600 * 1024)
    request = youtube.videos().insert(
        part="snippet,status",
        body=METADATA,
        media_body=MediaIoBaseUpload(io.BytesIO(video), mimetype="video/mp4", chunksize=256 * 1024, resumable=True),
    )

    progress, response = [], None
    while response is None:
        status, response = request.next_chunk()
        progress.append(status and round(status.progress(), 2))
    stats = youtube.videos().list(part="statistics,status", id=response["id"]).execute()["items"][0]
    channel = youtube.channels().list(part="snippet,statistics", mine=True).execute()["items"][0]
    found = youtube.search().list(part="snippet", forMine=True, type="video", q="dh-ref-42").execute()
    youtube.videos().delete(id=response["id"]).execute()

    assert progress == [0.43, 0.85, None]
    assert set(stats["statistics"]) == {"viewCount", "likeCount", "favoriteCount", "commentCount"}
    assert channel["id"] == CHANNEL
    assert channel["statistics"]["videoCount"] == "1"
    assert [result["id"]["videoId"] for result in found["items"]] == [response["id"]]
    with pytest.raises(HttpError) as missing:
        youtube.videos().delete(id=response["id"]).execute()
    assert missing.value.status_code == 404


def test_api_client_resumes_after_a_timeout_on_a_chunk_that_did_arrive(http, sandbox_url):
    creds = Credentials(token=TOKEN)
    transport = make_httplib2(sandbox_url=sandbox_url, timeouts=Timeouts(read=0.5))
    youtube = build("youtube", "v3", http=AuthorizedHttp(creds, http=transport), static_discovery=True)
    request = youtube.videos().insert(
        part="snippet",
        body=METADATA,
        media_body=MediaIoBaseUpload(
            io.BytesIO(mp4_bytes(padding=600 * 1024)),
            mimetype="video/mp4",
            chunksize=256 * 1024,
            resumable=True,
        ),
    )
    request.next_chunk()  # opens the session, sends the first chunk
    add_fault(http, sandbox_url, network="youtube", timeout_rate=1, hang_seconds=5, count=1)

    with pytest.raises(TimeoutError):
        request.next_chunk()  # the second chunk is stored, its answer never comes
    _, response = request.next_chunk()  # asks what arrived, then sends the third and last chunk

    assert response["snippet"]["title"] == "Press conference"
    [item] = received(http, sandbox_url, network="youtube")
    assert item["media"][0]["size"] == len(mp4_bytes(padding=600 * 1024))


def test_expired_access_token_is_refreshed_and_a_revoked_account_cannot_refresh(http, sandbox_url):
    youtube = _youtube(sandbox_url, token="not-a-sandbox-token")
    assert youtube.channels().list(part="id", mine=True).execute()["items"][0]["id"] == CHANNEL

    add_fault(http, sandbox_url, network="youtube", account=CHANNEL, revoked=True)
    with pytest.raises(RefreshError, match=r"invalid_grant: Token has been expired or revoked\."):
        _youtube(sandbox_url).channels().list(part="id", mine=True).execute()


def test_google_flow_connects_with_pkce_and_never_rotates_refresh_tokens(http, sandbox_url):
    config = {
        "web": {
            "client_id": "cid",
            "client_secret": "secret",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    }
    scopes = ["https://www.googleapis.com/auth/youtube"]
    flow = Flow.from_client_config(config, scopes=scopes, redirect_uri="https://hub.example/google")
    mount_on(flow.oauth2session, sandbox_url=sandbox_url, timeouts=Timeouts())
    url, _ = flow.authorization_url(access_type="offline", prompt="consent")

    callback = consent(http, browser_url(url, sandbox_url=sandbox_url), account_id=CHANNEL)
    flow.fetch_token(code=callback["code"])
    creds = flow.credentials
    token_url = f"{sandbox_url}/google-oauth/token"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": creds.refresh_token,
        "client_id": "cid",
        "client_secret": "secret",
    }
    first, second = http.post(token_url, data=refresh).json(), http.post(token_url, data=refresh).json()

    assert creds.token.startswith(f"sbx.youtube.{CHANNEL}.")
    assert creds.refresh_token.startswith(f"sbxr.youtube.{CHANNEL}.")
    assert "refresh_token" not in first
    assert first["access_token"] != second["access_token"]
    assert first["scope"] == scopes[0]
    bad_verifier = consent(http, browser_url(url, sandbox_url=sandbox_url), account_id=CHANNEL)
    refused = http.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": bad_verifier["code"],
            "redirect_uri": "https://hub.example/google",
            "client_id": "cid",
            "code_verifier": "wrong" * 10,
        },
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert json.loads(http.post(token_url, data={"grant_type": "password"}).text)["error"] == "unsupported_grant_type"


def test_api_client_multipart_upload_in_one_request(http, sandbox_url):
    youtube = _youtube(sandbox_url)
    media = MediaIoBaseUpload(io.BytesIO(mp4_bytes()), mimetype="video/mp4", resumable=False)

    video = youtube.videos().insert(part="snippet,status", body=METADATA, media_body=media).execute()

    assert video["status"]["uploadStatus"] == "uploaded"
    assert received(http, sandbox_url, network="youtube")[0]["media"][0]["size"] == len(mp4_bytes())


# --- The uploads playlist, and what YouTube refuses ------------------------------------------------


def _upload(youtube, title: str) -> str:
    media = MediaIoBaseUpload(io.BytesIO(mp4_bytes()), mimetype="video/mp4", resumable=False)
    body = METADATA | {"snippet": METADATA["snippet"] | {"title": title}}
    return youtube.videos().insert(part="snippet,status", body=body, media_body=media).execute()["id"]


def test_the_uploads_playlist_lists_the_channels_videos_newest_first_in_pages(sandbox_url):
    youtube = _youtube(sandbox_url)
    ids = [_upload(youtube, f"Video {index}") for index in range(5)]
    youtube.videos().delete(id=ids[0]).execute()
    [channel] = youtube.channels().list(part="contentDetails", mine=True).execute()["items"]
    playlist = channel["contentDetails"]["relatedPlaylists"]["uploads"]

    pages, token = [], None
    while True:
        page = (
            youtube.playlistItems()
            .list(part="snippet,contentDetails", playlistId=playlist, maxResults=2, pageToken=token)
            .execute()
        )
        pages.append([item["contentDetails"]["videoId"] for item in page["items"]])
        token = page.get("nextPageToken")
        if not token:
            break

    assert playlist == "UU" + CHANNEL[2:]
    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]]]
    assert page["pageInfo"] == {"totalResults": 4, "resultsPerPage": 2}
    first = youtube.playlistItems().list(part="snippet", playlistId=playlist).execute()["items"][0]["snippet"]
    assert (first["resourceId"]["videoId"], first["position"], first["playlistId"]) == (ids[4], 0, playlist)
    with pytest.raises(HttpError) as unknown:
        youtube.playlistItems().list(part="snippet", playlistId="UUnobody").execute()
    assert (unknown.value.status_code, unknown.value.error_details[0]["reason"]) == (404, "playlistNotFound")


def test_videos_list_refuses_max_results_beside_id_and_search_refuses_for_mine_with_published_after(sandbox_url):
    youtube = _youtube(sandbox_url)
    video_id = _upload(youtube, "Refusals")

    with pytest.raises(HttpError) as both:
        youtube.videos().list(part="snippet", id=video_id, maxResults=50).execute()
    with pytest.raises(HttpError) as filters:
        youtube.search().list(part="id", forMine=True, type="video", publishedAfter="2026-01-01T00:00:00Z").execute()

    assert (both.value.status_code, both.value.error_details[0]["reason"]) == (400, "invalidParameter")
    assert (filters.value.status_code, filters.value.error_details[0]["reason"]) == (400, "invalidSearchFilter")
    assert youtube.videos().list(part="snippet", id=video_id).execute()["items"][0]["id"] == video_id


def test_the_quota_refusal_is_403_quota_exceeded(http, sandbox_url):
    add_fault(http, sandbox_url, network="youtube", refusal="quota", count=1)

    refused = http.get(
        f"{sandbox_url}/youtube/youtube/v3/channels", params={"part": "id", "mine": "true"}, headers=AUTH
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0] | {"message": ""} == {
        "message": "",
        "domain": "youtube.quota",
        "reason": "quotaExceeded",
    }
    assert "Retry-After" not in refused.headers
    add_fault_refused = http.post(f"{sandbox_url}/_sandbox/faults", json={"network": "twitter", "refusal": "quota"})
    assert add_fault_refused.status_code == 400
