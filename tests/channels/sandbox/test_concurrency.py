"""The sandbox is never the bottleneck: slow calls are served side by side."""

from bench.sandbox_concurrency import run


def test_two_hundred_slow_calls_are_served_concurrently(sandbox_url):
    result = run(sandbox_url, requests_count=200, latency_ms=200)

    assert result["errors"] == 0
    # One after the other they would take 40 s; side by side, about the latency.
    assert result["seconds"] < 5
    assert result["concurrency_peak"] >= 50
