"""How many slow calls the sandbox holds at once.

Fires N concurrent `POST /twitter/2/tweets` (one thread and one connection each, released
together) while the sandbox injects `--latency-ms` of latency into every X call, and prints
JSON: {"requests", "seconds", "concurrency_peak", "errors"}. With 500 requests of 200 ms,
a sandbox that serves them in parallel finishes in well under a second or two; one that
serialised them would need 100 s.

    python bench/sandbox_concurrency.py                  # starts a sandbox in-process
    python bench/sandbox_concurrency.py --url http://127.0.0.1:8100

Against a running sandbox it adds one fault rule and removes it afterwards; the posts stay
(account 9000, texts "bench …"). `concurrency_peak` is the sandbox's peak since its last
reset. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from channels.sandbox.server import SandboxServer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_REQUESTS = 2000
TOKEN = "sbx.twitter.9000.bench"  # noqa: S105 - a sandbox token names its account, it guards nothing


def _post(url: str, text: str, start: threading.Barrier, errors: list[str]) -> None:
    """One request on its own connection, opened before the start so that the requests,
    not the TCP handshakes, arrive together. http.client rather than requests: a light
    client, so that the measure is the sandbox's and not the load generator's."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.connect()
        start.wait()
        connection.request(
            "POST",
            "/twitter/2/tweets",
            body=json.dumps({"text": text}),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            errors.append(f"HTTP {response.status}")
    except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as error:
        errors.append(type(error).__name__)
    finally:
        connection.close()


def run(url: str, *, requests_count: int = 500, latency_ms: int = 200) -> dict:
    """Fire the requests against the sandbox at `url`; the numbers as a dict."""
    if urlsplit(url).hostname not in LOOPBACK:
        raise ValueError("The benchmark only targets a sandbox on loopback.")
    if not 1 <= requests_count <= MAX_REQUESTS:
        raise ValueError(f"requests_count is between 1 and {MAX_REQUESTS}.")
    control = requests.Session()
    control.trust_env = False
    rule = control.post(
        f"{url}/_sandbox/faults", json={"network": "twitter", "account": "9000", "latency_ms": latency_ms}
    ).json()["rule"]
    errors: list[str] = []
    start = threading.Barrier(requests_count + 1)
    run_id = uuid.uuid4().hex[:8]
    threads = [
        threading.Thread(target=_post, args=(url, f"bench {run_id} {n}", start, errors), daemon=True)
        for n in range(requests_count)
    ]
    try:
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join(timeout=60)
        seconds = time.perf_counter() - began
    finally:
        control.delete(f"{url}/_sandbox/faults/{rule['id']}")
    peak = control.get(f"{url}/_sandbox/stats").json()["peak_concurrency"]
    control.close()
    return {
        "requests": requests_count,
        "seconds": round(seconds, 3),
        "concurrency_peak": peak,
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running sandbox (default: start one in this process)")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    server = None if args.url else SandboxServer().start()
    try:
        result = run(args.url or server.url, requests_count=args.requests, latency_ms=args.latency_ms)
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
