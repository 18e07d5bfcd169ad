"""The sandbox's Flickr: REST in JSON and XML, the XML upload endpoint, OAuth 1.0a, and
flickrapi's own call path through channels.adapters.transport."""

import io
from email.message import Message
from urllib.parse import parse_qs
from xml.etree import ElementTree

import flickrapi
import pytest
import requests
from flickrapi.auth import FlickrAccessToken
from requests_oauthlib import OAuth1

from channels.adapters.transport import browser_url, make_session
from channels.sandbox import oauth1
from channels.sandbox.http import Request
from channels.sandbox.tokens import secret_of
from live.media_samples import jpeg_bytes
from tests.channels.sandbox.conftest import consent, received

NSID = "12345678@N01"
TOKEN = f"sbx.flickr.{NSID}.a"
KEY, SECRET = "dh-flickr-key", "dh-flickr-secret"  # registered by tests/conftest.py
REST = "https://api.flickr.com/services/rest/"


def _flickr(sandbox_url, token=TOKEN, *, secret=SECRET, token_secret=None):
    token_secret = secret_of(token) if token_secret is None else token_secret
    access = FlickrAccessToken(token, token_secret, "delete", "Embassy", "embassy", NSID)
    api = flickrapi.FlickrAPI(KEY, secret, token=access, store_token=False, format="parsed-json")
    api.flickr_oauth.session = make_session(sandbox_url=sandbox_url)
    return api


def _upload(api, **params):
    return api.upload("photo.jpg", fileobj=io.BytesIO(jpeg_bytes()), format="etree", **params).findtext("photoid")


def test_flickrapi_uploads_reads_searches_and_deletes_through_the_transport(sandbox_url, http):
    api = _flickr(sandbox_url)

    photo_id = _upload(
        api, title="Residence", description="Garden party", tags='diplomacy "national day" dh:ref=4f9c2a'
    )
    info = api.photos.getInfo(photo_id=photo_id)["photo"]
    found = api.photos.search(user_id="me", machine_tags="dh:ref=4f9c2a")["photos"]
    favorites = api.photos.getFavorites(photo_id=photo_id)["photo"]
    login = api.test.login()["user"]
    api.photos.delete(photo_id=photo_id)

    assert info["title"]["_content"] == "Residence"
    assert [tag["_content"] for tag in info["tags"]["tag"]] == ["diplomacy", "nationalday", "dh:ref=4f9c2a"]
    assert [tag["machine_tag"] for tag in info["tags"]["tag"]] == [0, 0, 1]
    assert [photo["id"] for photo in found["photo"]] == [photo_id]
    assert int(favorites["total"]) >= 0
    assert login["id"] == NSID
    [item] = received(http, sandbox_url, network="flickr")
    assert (item["kind"], item["deleted"], item["media"][0]["type"]) == ("photo", True, "image/jpeg")
    with pytest.raises(flickrapi.FlickrError) as missing:
        api.photos.delete(photo_id=photo_id)
    assert missing.value.code == 1


def test_upload_with_a_bad_token_is_xml_error_98(sandbox_url):
    with pytest.raises(flickrapi.FlickrError) as refused:
        _upload(_flickr(sandbox_url, token="not-a-sandbox-token"))

    assert refused.value.code == 98


def _signed(sandbox_url):
    """A session that signs as flickrapi does (requests_oauthlib, Authorization header) and
    calls Flickr's real URLs, rewritten to the sandbox by the transport."""
    session = make_session(sandbox_url=sandbox_url)
    session.auth = OAuth1(KEY, SECRET, TOKEN, secret_of(TOKEN), signature_type="auth_header")
    return session


def test_rest_answers_xml_unless_json_is_asked(sandbox_url):
    session = _signed(sandbox_url)

    xml = session.post(REST, data={"method": "flickr.test.login"})
    missing = session.post(
        REST, data={"method": "flickr.photos.getInfo", "photo_id": "1", "format": "json", "nojsoncallback": "1"}
    )
    unknown = session.post(REST, data={"method": "flickr.nope", "format": "json", "nojsoncallback": "1"})

    assert xml.status_code == 200
    root = ElementTree.fromstring(xml.content)  # noqa: S314 - our own sandbox's answer
    assert (root.get("stat"), root.find("user").get("id")) == ("ok", NSID)
    assert missing.json() == {"stat": "fail", "code": 1, "message": "Photo not found"}
    assert unknown.json()["code"] == 112


JSON = {"format": "json", "nojsoncallback": "1"}


def test_the_rfc_5849_example_gives_the_rfc_base_string():
    """RFC 5849 3.4.1.1's own example: percent-encoding, sorting, the body's parameters."""
    authorization = (
        'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
        'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"'
    )
    headers = Message()
    headers["Authorization"] = authorization
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    request = Request("POST", "/request", {}, headers, b"c2&a3=2+q")

    base = oauth1.signature_base_string("POST", url, oauth1.signed_parameters(request, url))

    assert base == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D"
        "%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a"
        "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


@pytest.mark.parametrize(
    ("secret", "token_secret"),
    [("not-our-secret", None), (SECRET, "another-tokens-secret")],
    ids=["consumer secret", "token secret"],
)
def test_a_call_signed_with_the_wrong_secret_is_error_96(sandbox_url, secret, token_secret):
    api = _flickr(sandbox_url, secret=secret, token_secret=token_secret)

    with pytest.raises(flickrapi.FlickrError) as refused:
        api.test.login()
    with pytest.raises(flickrapi.FlickrError) as upload_refused:
        _upload(api)

    assert (refused.value.code, str(refused.value)) == (96, "Error: 96: Invalid signature")
    assert upload_refused.value.code == 96


def test_the_upload_signature_covers_every_field_but_the_photo(sandbox_url):
    """flickrapi signs the title, tags... of an upload, not the photo: a field changed after
    signing is refused as Flickr refuses it."""
    api = _flickr(sandbox_url)
    assert _upload(api, title="Signed", tags="diplomacy")
    session = api.flickr_oauth.session
    sent = session.post

    def tamper(url, data=None, **kwargs):
        body = data.to_string().replace(b"Signed", b"Forged")
        return sent(url, data=body, **kwargs)

    session.post = tamper
    with pytest.raises(flickrapi.FlickrError) as refused:
        _upload(api, title="Signed", tags="diplomacy")

    assert refused.value.code == 96


def test_an_unknown_key_is_error_100_and_an_unsigned_call_error_97(sandbox_url, http):
    unknown = _flickr(sandbox_url)
    unknown.flickr_oauth.oauth.client.client_key = "nobodys-key"
    unsigned = http.post(
        f"{sandbox_url}/flickr/services/rest/", data={"method": "flickr.test.login", "api_key": KEY, **JSON}
    )

    with pytest.raises(flickrapi.FlickrError) as refused:
        unknown.test.login()

    assert (refused.value.code, str(refused.value)) == (100, "Error: 100: Invalid API Key (Key not found)")
    assert unsigned.json() == {"stat": "fail", "code": 97, "message": "Missing signature"}


def test_a_replayed_nonce_and_a_stale_timestamp_are_refused(sandbox_url):
    session = _signed(sandbox_url)
    prepared = session.prepare_request(requests.Request("POST", REST, data={"method": "flickr.test.login", **JSON}))
    stale = OAuth1(KEY, SECRET, TOKEN, secret_of(TOKEN), signature_type="auth_header", timestamp="1000000000")

    first = session.send(prepared.copy())
    replayed = session.send(prepared.copy())
    old = session.post(REST, data={"method": "flickr.test.login", **JSON}, auth=stale)

    assert first.json()["stat"] == "ok"
    assert replayed.json()["code"] == 96
    assert old.json()["code"] == 96


def test_the_oauth_endpoints_check_signatures_in_oauth_words(sandbox_url):
    flickr = flickrapi.FlickrAPI(KEY, "not-our-secret", store_token=False)
    flickr.flickr_oauth.session = make_session(sandbox_url=sandbox_url)

    with pytest.raises(flickrapi.FlickrError, match="401"):
        flickr.get_request_token(oauth_callback="https://hub.example/flickr")
    answer = make_session(sandbox_url=sandbox_url).post(
        "https://www.flickr.com/services/oauth/request_token",
        data={"oauth_callback": "https://hub.example/flickr"},
        auth=OAuth1(KEY, "not-our-secret", signature_type="auth_header"),
    )

    assert answer.status_code == 401
    problem = parse_qs(answer.text)
    assert problem["oauth_problem"] == ["signature_invalid"]
    assert problem["debug_sbs"][0].startswith("POST&https%3A%2F%2Fwww.flickr.com%2Fservices%2Foauth%2Frequest_token&")


def test_a_rate_limit_is_flickrs_bare_429_page(sandbox_url, http):
    http.post(f"{sandbox_url}/_sandbox/faults", json={"network": "flickr", "rate_limit_rate": 1, "count": 1})

    answer = _signed(sandbox_url).post(REST, data={"method": "flickr.test.login", **JSON})

    assert answer.status_code == 429
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" not in answer.headers
    assert "You have sent too many requests" in answer.text


def test_oauth_1a_flow_issues_a_token_naming_the_chosen_account(http, sandbox_url):
    flickr = flickrapi.FlickrAPI(KEY, SECRET, store_token=False)
    flickr.flickr_oauth.session = make_session(sandbox_url=sandbox_url)
    flickr.get_request_token(oauth_callback="https://hub.example/flickr")
    authorize = browser_url(flickr.auth_url(perms="delete"), sandbox_url=sandbox_url)

    callback = consent(http, authorize, account_id=NSID, display_name="Embassy Tokyo", handle="embassy_tokyo")
    assert callback["oauth_token"] == flickr.flickr_oauth.resource_owner_key
    flickr.flickr_oauth.verifier = callback["oauth_verifier"]
    token = flickr.flickr_oauth.get_access_token()

    assert (token.user_nsid, token.username, token.fullname) == (NSID, "embassy_tokyo", "Embassy Tokyo")
    assert token.token.startswith(f"sbx.flickr.{NSID}.")
    assert _flickr(sandbox_url, token=token.token).test.login()["user"]["username"]["_content"] == "embassy_tokyo"


def test_access_token_exchange_checks_the_verifier(http, sandbox_url):
    flickr = flickrapi.FlickrAPI(KEY, SECRET, store_token=False)
    flickr.flickr_oauth.session = make_session(sandbox_url=sandbox_url)
    flickr.get_request_token(oauth_callback="https://hub.example/flickr")
    consent(http, browser_url(flickr.auth_url(perms="write"), sandbox_url=sandbox_url), account_id=NSID)
    flickr.flickr_oauth.verifier = "wrong"

    with pytest.raises(flickrapi.FlickrError, match="401"):
        flickr.flickr_oauth.get_access_token()
