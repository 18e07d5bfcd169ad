"""The sandbox's Flickr: REST in JSON and XML, the XML upload endpoint, OAuth 1.0a, and
flickrapi's own call path through channels.adapters.transport."""

import io
from xml.etree import ElementTree

import flickrapi
import pytest
from flickrapi.auth import FlickrAccessToken

from channels.adapters.transport import browser_url, make_session
from live.media_samples import jpeg_bytes
from tests.channels.sandbox.conftest import consent, received

NSID = "12345678@N01"
TOKEN = f"sbx.flickr.{NSID}.a"


def _flickr(sandbox_url, token=TOKEN):
    access = FlickrAccessToken(token, "secret", "delete", "Embassy", "embassy", NSID)
    api = flickrapi.FlickrAPI("key", "secret", token=access, store_token=False, format="parsed-json")
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


def test_rest_answers_xml_unless_json_is_asked(http, sandbox_url):
    headers = {"Authorization": f'OAuth oauth_consumer_key="key", oauth_token="{TOKEN.replace("@", "%40")}"'}
    rest = f"{sandbox_url}/flickr/services/rest/"

    xml = http.post(rest, data={"method": "flickr.test.login"}, headers=headers)
    missing = http.post(
        rest,
        data={"method": "flickr.photos.getInfo", "photo_id": "1", "format": "json", "nojsoncallback": "1"},
        headers=headers,
    )
    unknown = http.post(rest, data={"method": "flickr.nope", "format": "json", "nojsoncallback": "1"})

    assert xml.status_code == 200
    root = ElementTree.fromstring(xml.content)  # noqa: S314 - our own sandbox's answer
    assert (root.get("stat"), root.find("user").get("id")) == ("ok", NSID)
    assert missing.json() == {"stat": "fail", "code": 1, "message": "Photo not found"}
    assert unknown.json()["code"] == 112


def test_oauth_1a_flow_issues_a_token_naming_the_chosen_account(http, sandbox_url):
    flickr = flickrapi.FlickrAPI("key", "secret", store_token=False)
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
    flickr = flickrapi.FlickrAPI("key", "secret", store_token=False)
    flickr.flickr_oauth.session = make_session(sandbox_url=sandbox_url)
    flickr.get_request_token(oauth_callback="https://hub.example/flickr")
    consent(http, browser_url(flickr.auth_url(perms="write"), sandbox_url=sandbox_url), account_id=NSID)
    flickr.flickr_oauth.verifier = "wrong"

    with pytest.raises(flickrapi.FlickrError, match="401"):
        flickr.flickr_oauth.get_access_token()
