"""The sandbox is never the bottleneck: slow calls are served side by side. The mechanism is
what is tested here (many calls in flight at once, none refused); how fast belongs to
`make bench` (bench/sandbox_concurrency.py)."""

from bench.sandbox_concurrency import run


def test_two_hundred_slow_calls_are_served_concurrently(sandbox_url):
    result = run(sandbox_url, requests_count=200, latency_ms=200)

    assert result["errors"] == 0
    assert result["requests"] == 200
    # One after the other there would never be more than one in flight.
    assert result["concurrency_peak"] >= 50
