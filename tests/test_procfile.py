"""`make run`'s process manager stops every process warm: SIGTERM on Ctrl-C, and time to
finish (Celery's warm shutdown) before anything is killed."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings

from diplomacy_hub.procfile import stop_wait

# Like the sandbox, a process that stops at once; like a worker finishing a delivery, one that
# takes 7 s once asked: honcho alone kills it 5 s after the first one stopped.
PROCFILE = (
    "quick: while true; do sleep 0.1; done\n"
    "slow: trap 'sleep 7; echo stopped warm; exit 0' TERM; while true; do sleep 0.1; done\n"
)


def test_the_wait_covers_a_deliverys_longest_network_call():
    assert stop_wait() > settings.NETWORK_CONNECT_TIMEOUT + settings.NETWORK_READ_TIMEOUT


def test_ctrl_c_lets_a_process_stop_warm_however_long_its_network_call(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(PROCFILE)
    runner = subprocess.Popen(  # noqa: S603 (our own module, arguments fixed here)
        [sys.executable, "-m", "diplomacy_hub.procfile", "start", "-f", str(procfile), "--no-colour"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "diplomacy_hub.settings.test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        time.sleep(2)
        runner.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl-C
        output, _ = runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    assert "sending SIGTERM to slow.1" in output
    assert "quick.1 stopped" in output
    assert "stopped warm" in output
    assert "SIGKILL" not in output
