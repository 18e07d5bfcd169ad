"""The triage benchmark, small and without timing: it runs as a script, sorts every line
of the sandbox's public, and reports its numbers as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_triage_benchmark_sorts_every_line_and_reports():
    answer = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [sys.executable, str(ROOT / "bench" / "triage_cpu.py"), "--items", "300", "--accounts", "30"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    report = json.loads(answer.stdout)
    assert report["items"] == 300
    assert "unsorted" not in report["categories"]
    assert sum(report["categories"].values()) == 300
    assert report["triage_us_per_item"] > 0
    assert report["rss_mb_with_model"] > report["rss_mb_before_model"]
