"""`python -m live.refresh_race --account PK --threads N --start-at EPOCH`: N threads
of this process, each with its own database connection and its own copy of the account's
row, call `channels.services.credentials_for_use` at the instant EPOCH (time.time()).
One JSON line per caller on stdout: {"caller", "started", "access"} (when it called, and a
fingerprint of the access token it got: never the token) or {"caller", "error"}. The refresh itself logs
"account.refresh actor=system account=PK" (channels.services._audit) on stderr.

Started by live/scenarios.py:refresh_race, three at a time, with the live
children's environment (DATABASE_URL, SANDBOX_URL, the key ring)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import threading
import time

import django
from django.db import connection


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--account", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--start-at", type=float, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diplomacy_hub.settings.test")

    django.setup()

    # start-up: this child process chooses its settings, then sets Django up.
    from channels.models import SocialAccount
    from channels.services import credentials_for_use

    lock = threading.Lock()

    def caller(number: int) -> None:
        name = f"{os.getpid()}-{number}"
        try:
            account = SocialAccount.objects.get(pk=args.account)  # this thread's connection and copy
            time.sleep(max(0.0, args.start_at - time.time()))
            started = time.time()
            credentials = credentials_for_use(account)
            line = {
                "caller": name,
                "started": started,
                "access": hashlib.sha256(credentials.access_token.encode()).hexdigest()[:16],
            }
        except Exception as error:
            line = {"caller": name, "error": f"{type(error).__name__}: {error}"}
        finally:
            connection.close()
        with lock:
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()

    threads = [threading.Thread(target=caller, args=(number,)) for number in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
