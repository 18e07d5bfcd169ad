"""The sandbox's CPU per call: what emulating the networks costs our two cores.

`python -m bench.sandbox_cpu [--quick] [--calls 3000] [--clients 128] [--latency-ms 200]`.
Starts the sandbox as `make run` does (`manage.py run_sandbox`, a process of its own), then
`--clients` threads, each on one keep-alive connection as the SDKs' pooled sessions are,
send `--calls` `POST /twitter/2/tweets` in all (distinct texts, one account per client),
each held `--latency-ms` by the sandbox as in the fan-out (128 calls in flight, 200 ms).
Prints JSON: the sandbox process's CPU time (user + system, from /proc) per call in
milliseconds, over the calls alone (after a warm-up), and the calls per second. The load
generator runs in this process, so its own CPU is not counted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.common import BENCH_VAR, REPO, machine, now_iso

CLIENT_ACCOUNT_BASE = 9100


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _client(port: int, number: int, calls: int, run_id: str, errors: list[str]) -> None:
    token = f"sbx.twitter.{CLIENT_ACCOUNT_BASE + number}.bench"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for call in range(calls):
            connection.request(
                "POST",
                "/twitter/2/tweets",
                body=json.dumps({"text": f"cpu {run_id} {number} {call}"}),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                errors.append(f"HTTP {response.status}")
    except (OSError, http.client.HTTPException) as error:
        errors.append(type(error).__name__)
    finally:
        connection.close()


def _fire(port: int, *, clients: int, calls: int) -> tuple[float, list[str]]:
    errors: list[str] = []
    run_id = uuid.uuid4().hex[:8]
    per_client = max(1, calls // clients)
    threads = [
        threading.Thread(target=_client, args=(port, n, per_client, run_id, errors), daemon=True)
        for n in range(clients)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return time.perf_counter() - began, errors


def run(*, calls: int = 3000, clients: int = 128, latency_ms: int = 200) -> dict:
    port = free_port()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    log = open(BENCH_VAR / "sandbox-cpu.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "bench.settings")}
    argv = [sys.executable, "manage.py", "run_sandbox", "--port", str(port)]
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/_sandbox/stats")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The sandbox did not start; see var/bench/sandbox-cpu.log.") from None
                time.sleep(0.1)
        if latency_ms:
            control = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            rule = {"network": "*", "account": "*", "latency_ms": latency_ms}
            control.request(
                "POST", "/_sandbox/faults", body=json.dumps(rule), headers={"Content-Type": "application/json"}
            )
            control.getresponse().read()
            control.close()
        _fire(port, clients=clients, calls=max(clients, calls // 10))  # warm-up
        before = process_cpu_seconds(process.pid)
        seconds, errors = _fire(port, clients=clients, calls=calls)
        used = process_cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    sent = (calls // clients) * clients
    return {
        "calls": sent,
        "clients": clients,
        "latency_ms": latency_ms,
        "errors": len(errors),
        "seconds": round(seconds, 3),
        "calls_per_second": round(sent / seconds, 1) if seconds else None,
        "sandbox_cpu_seconds": round(used, 3),
        "sandbox_cpu_ms_per_call": round(used * 1000 / sent, 3) if sent else None,
        "backend": "none",
        "date": now_iso(),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="600 calls")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=128)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args(argv)
    result = run(calls=600 if args.quick else args.calls, clients=args.clients, latency_ms=args.latency_ms)
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    if result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
