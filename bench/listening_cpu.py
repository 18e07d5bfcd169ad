"""What hearing the public costs: every account polled once through its adapter.

Starts the sandbox in a child process, gives each network `--accounts` accounts (271 by
default, 1,084 in all) one published post each (live/media_samples' photo and video for
Flickr and YouTube), has the public say `--burst` things across them, then polls every
account twice through the adapters and their SDKs: the first round drains the burst, the
second is the steady state (nothing new). Prints JSON: per network the calls' CPU seconds
in this process (the worker's side), the items heard and the wall seconds; the sandbox's
CPU seconds; and the share of one core that steady polling costs at the issue's cadence
(X, Facebook and a busy YouTube channel every 15 minutes, Flickr hourly).

    python bench/listening_cpu.py [--accounts 271] [--burst 10000]

Loopback only; the sandbox process ends with the script.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from channels.adapters.base import AppCredentials, Content, Credentials, MediaFile
from channels.adapters.facebook import FacebookAdapter
from channels.adapters.flickr import FlickrAdapter
from channels.adapters.transport import Timeouts
from channels.adapters.twitter import TwitterAdapter
from channels.adapters.youtube import YouTubeAdapter
from channels.sandbox.server import SandboxServer
from channels.sandbox.tokens import secret_of
from live.media_samples import jpeg_bytes, mp4_bytes

FLICKR_APP = AppCredentials(client_id="bench-flickr-key", client_secret="bench-flickr-secret")  # noqa: S106
FACEBOOK_APP = AppCredentials(client_id="bench-fb-app", client_secret="bench-fb-secret")  # noqa: S106
GOOGLE_APP = AppCredentials(client_id="bench-google", client_secret="bench-google-secret")  # noqa: S106
# Seconds between two polls of one account, by network (issue 14 and CONVERSATION.md).
CADENCE = {"twitter": 900, "facebook": 900, "youtube": 900, "flickr": 3600}


def _serve(port_queue: multiprocessing.Queue) -> None:
    server = SandboxServer()
    server.state.register_app("flickr", FLICKR_APP.client_id, FLICKR_APP.client_secret)
    server.state.register_app("facebook", FACEBOOK_APP.client_id, FACEBOOK_APP.client_secret)
    port_queue.put(server.url)
    server.serve_forever()


def _process_cpu(pid: int) -> float:
    """User and system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _accounts(network: str, count: int) -> list[str]:
    base = {"twitter": 1_700_000_000_000_000_000, "facebook": 170_000_000_000_000}
    if network in base:
        return [str(base[network] + n) for n in range(count)]
    if network == "youtube":
        return [f"UCbench{n:017d}" for n in range(count)]
    return [f"{40_000_000 + n}@N01" for n in range(count)]


def _credentials(network: str, account: str) -> Credentials:
    token = f"sbx.{network}.{account}.{'page-' if network == 'facebook' else ''}bench"
    secret = secret_of(token) if network == "flickr" else ""
    return Credentials(access_token=token, token_secret=secret, account_id=account)


def _content(network: str, folder: Path) -> Content:
    if network == "flickr":
        path = folder / "photo.jpg"
        path.write_bytes(jpeg_bytes())
        photo = MediaFile(
            path=str(path), mime_type="image/jpeg", kind="image", size=path.stat().st_size, alt_text="Guests"
        )
        return Content(text="Reception", title="Reception", media=(photo,))
    if network == "youtube":
        path = folder / "clip.mp4"
        path.write_bytes(mp4_bytes())
        clip = MediaFile(
            path=str(path), mime_type="video/mp4", kind="video", size=path.stat().st_size, duration_seconds=3.0
        )
        return Content(text="National day", title="National day", media=(clip,))
    return Content(text="Fête nationale")


def run(*, accounts: int, burst: int) -> dict:
    context = multiprocessing.get_context("spawn")
    port_queue = context.Queue()
    sandbox = context.Process(target=_serve, args=(port_queue,), daemon=True)
    sandbox.start()
    url = port_queue.get(timeout=30)
    timeouts = Timeouts()
    adapters = {
        "twitter": TwitterAdapter(sandbox_url=url, timeouts=timeouts),
        "facebook": FacebookAdapter(sandbox_url=url, app=FACEBOOK_APP, timeouts=timeouts),
        "youtube": YouTubeAdapter(sandbox_url=url, app=GOOGLE_APP, timeouts=timeouts),
        "flickr": FlickrAdapter(sandbox_url=url, app=FLICKR_APP, timeouts=timeouts),
    }
    ids = {network: _accounts(network, accounts) for network in adapters}
    posts: dict[tuple[str, str], str] = {}
    with tempfile.TemporaryDirectory() as folder:
        for network, adapter in adapters.items():
            content = _content(network, Path(folder))
            for account in ids[network]:
                published = adapter.publish(_credentials(network, account), content)
                posts[(network, account)] = published.external_id
    everyone = [{"network": network, "account": account} for network in adapters for account in ids[network]]
    answer = requests.post(
        f"{url}/_sandbox/public/burst",
        json={"accounts": everyone, "count": burst, "seed": 1, "languages": ["en", "fr", "ar", "es", "zh"]},
        timeout=300,
    )
    answer.raise_for_status()
    result: dict = {"accounts": len(everyone), "burst": burst, "networks": {}}
    cursors: dict[tuple[str, str], str] = {}
    sandbox_before = _process_cpu(sandbox.pid)
    for round_name in ("drain", "steady"):
        for network, adapter in adapters.items():
            cpu, wall, heard = time.process_time(), time.perf_counter(), 0
            for account in ids[network]:
                key = (network, account)
                got = adapter.listen(
                    _credentials(network, account), cursor=cursors.get(key, ""), our_posts=[posts[key]]
                )
                cursors[key] = got.cursor
                heard += len(got.items)
            figures = result["networks"].setdefault(network, {})
            figures[f"{round_name}_cpu_seconds"] = round(time.process_time() - cpu, 3)
            figures[f"{round_name}_wall_seconds"] = round(time.perf_counter() - wall, 3)
            figures[f"{round_name}_items"] = heard
    result["sandbox_cpu_seconds"] = round(_process_cpu(sandbox.pid) - sandbox_before, 3)
    share = sum(result["networks"][n]["steady_cpu_seconds"] / CADENCE[n] for n in adapters)
    result["steady_percent_of_one_core"] = round(100 * share, 3)
    sandbox.terminate()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=271, help="per network")
    parser.add_argument("--burst", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(run(accounts=args.accounts, burst=args.burst), indent=2))


if __name__ == "__main__":
    main()
