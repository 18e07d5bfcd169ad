"""channels.adapters.transport: each SDK object gets a session of its own (what an SDK
keeps on it, such as a token, dies with it), whose connections come from its thread's
pool and stay open from one call to the next."""

from __future__ import annotations

import threading

from channels.adapters.transport import Timeouts, make_session


def _connections_opened(session, url) -> int:
    pools = session.get_adapter(url).poolmanager.pools
    keys = pools.keys()  # urllib3's container refuses iteration, not its keys
    return sum(pools[key].num_connections for key in keys)


def test_sessions_of_one_thread_share_kept_alive_connections_never_their_auth(sandbox_url):
    url = f"{sandbox_url}/_sandbox/"
    first = make_session(sandbox_url=sandbox_url)
    first.auth = ("account-a", "token-a")
    first.headers["Authorization"] = "Bearer token-a"
    first.get(url, timeout=5)
    first.close()  # an SDK closing its session keeps the thread's connections open
    second = make_session(sandbox_url=sandbox_url)
    second.get(url, timeout=5)
    assert second is not first
    assert second.auth is None
    assert "Authorization" not in second.headers
    assert second.get_adapter(url) is first.get_adapter(url)
    assert _connections_opened(second, url) == 1  # one TCP connection for both calls


def test_each_thread_and_setting_has_its_own_pool(sandbox_url):
    mine = make_session(sandbox_url=sandbox_url).get_adapter("https://api.x.com/")
    assert (
        make_session(sandbox_url=sandbox_url, timeouts=Timeouts(read=5)).get_adapter("https://api.x.com/") is not mine
    )
    assert make_session(sandbox_url=None).get_adapter("https://api.x.com/") is not mine
    theirs = []
    thread = threading.Thread(
        target=lambda: theirs.append(make_session(sandbox_url=sandbox_url).get_adapter("https://api.x.com/"))
    )
    thread.start()
    thread.join()
    assert theirs[0] is not mine
