"""`make bench` = `python -m bench.run [--only NAME,...] [--quick]` (names in BENCHMARKS).

Runs each benchmark in a process of its own (each sets Django up on its own database),
then writes the figures to bench/results.json (`--quick`: var/bench/results-quick.json,
so that a quick run never replaces the committed snapshot) and prints a table.

Backends: the embedded default (SQLite and the filesystem broker), or PostgreSQL and Redis
when DATABASE_URL and CELERY_BROKER_URL are given (each benchmark makes a database of its
own on that server, `dh_bench_<name>`; give a Redis database number of your own, e.g.
`redis://127.0.0.1:6379/13`).

The benchmarks: publish_cpu (a worker's CPU and database round trips per delivery, per
network, in one thread), sandbox_cpu (the sandbox's CPU per call), fanout (the crisis alert
to 1,084 accounts with the Procfile's workers: 128 calls in flight), fanout_64 (the same
with 64), pages (alone, under an open-loop mixed load, and the 20-client stress) and
precision (scheduled posts' lateness). Each result records the load average before and
after it ran: the machine may be shared, and CPU times are the figures to compare.

results.json: {"fanout": {...}, "pages": {...}, ...} for the last run of each benchmark,
and "backends": {"postgres+redis": {...}, "sqlite+filesystem": {...}} for the last run on
each backend, every object with its figures by name, its backend, date
and machine. Exit status 1 when a benchmark could not run or published a duplicate or
lost a delivery; the speed targets are reported in the table, not enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.common import BENCH_VAR, REPO, Backend, machine, now_iso

BENCHMARKS = (
    "publish_cpu",
    "sandbox_cpu",
    "fanout",
    "fanout_64",
    "pages",
    "precision",
    "ingest",
    "inbox_pages",
    "replies",
    "analytics_pages",
)
# A benchmark that is another one's module with arguments of its own.
VARIANTS = {"fanout_64": ("fanout", ["--calls", "64"])}
RESULTS = REPO / "bench" / "results.json"
QUICK_RESULTS = BENCH_VAR / "results-quick.json"


def run_one(name: str, *, quick: bool, extra: list[str]) -> tuple[dict | None, float, str]:
    out = BENCH_VAR / f"{name}.json"
    out.unlink(missing_ok=True)
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    log = BENCH_VAR / f"{name}.log"
    module, own = VARIANTS.get(name, (name, []))
    argv = [sys.executable, "-m", f"bench.{module}", "--out", str(out), *(["--quick"] if quick else []), *own, *extra]
    load_before = [round(value, 2) for value in os.getloadavg()]
    started = time.monotonic()
    print(f"== {name}{' (quick)' if quick else ''}: {' '.join(argv[1:])}  (log: {log.relative_to(REPO)})", flush=True)
    with open(log, "w") as handle:
        process = subprocess.run(argv, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    if process.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        return None, seconds, f"{name} failed (exit {process.returncode}); end of its log:\n{tail}"
    result = json.loads(out.read_text())
    result["load_average_before"] = load_before
    result["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    return result, seconds, ""


# --- The table ------------------------------------------------------------------------------------------


def _ok(value, limit, *, most: bool = True) -> str:
    if value is None:
        return "?"
    return "yes" if (value <= limit if most else value >= limit) else "NO"


def table(results: dict[str, dict]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    publish = results.get("publish_cpu")
    if publish:
        load = _load(publish)
        for network, figures in publish["networks"].items():
            rows.append(
                (
                    "publish_cpu",
                    f"{network}: worker CPU ms / delivery (one thread){load}",
                    f"{figures['cpu_ms_median']}",
                    "<= 4",
                    _ok(figures["cpu_ms_median"], 4),
                )
            )
            rows.append(
                (
                    "publish_cpu",
                    f"{network}: database round trips / delivery",
                    f"{figures['round_trips']}",
                    "<= 3",
                    _ok(figures["round_trips"], 3),
                )
            )
    sandbox = results.get("sandbox_cpu")
    if sandbox:
        rows.append(
            (
                "sandbox_cpu",
                f"sandbox CPU ms / call ({sandbox['clients']} clients, {sandbox['latency_ms']} ms){_load(sandbox)}",
                f"{sandbox['sandbox_cpu_ms_per_call']}",
                "",
                "",
            )
        )
    for name, limit in (("fanout", 4), ("fanout_64", 7)):
        fanout = results.get(name)
        if fanout:
            rows += _fanout_rows(name, fanout, limit)
    pages = results.get("pages")
    if pages:
        size = f"{pages['messages']:,} msgs / {pages['deliveries']:,} deliveries"
        rows.append(("pages", f"data: {size}", f"{pages['generate_seconds']} s to write", "", ""))
        mixed = pages.get("open_loop") or {}
        if mixed:
            rows.append(
                (
                    "pages",
                    f"open loop {mixed['rate_per_second']:g}/s, every page, p50 / p95 ms"
                    f" (load {mixed['load_average'][0]})",
                    f"{mixed['p50_ms']:.0f} / {mixed['p95_ms']:.0f}",
                    "p95 <= 150",
                    _ok(mixed["p95_ms"], 150),
                )
            )
        for key, page in pages["pages"].items():
            if "error" in page or "p95_ms" not in page:
                rows.append(("pages", f"{key} p50 / p95 ms", page.get("error", "?"), "p95 <= 150", "NO"))
                if page.get("queries") is not None:
                    rows.append(
                        (
                            "pages",
                            f"{key} queries (small -> full)",
                            f"{page.get('queries_small')} -> {page.get('queries')}",
                            "constant",
                            "yes" if page.get("queries_small") == page.get("queries") else "NO",
                        )
                    )
                continue
            queries = page.get("queries")
            constant = page.get("queries_small") == queries
            rows.append(
                (
                    "pages",
                    f"{key} alone p50 ms (load {(page.get('alone_load_average') or ['?'])[0]})",
                    f"{page['alone_p50_ms']:.0f}",
                    "<= 30",
                    _ok(page["alone_p50_ms"], 30),
                )
            )
            if page.get("alone_cpu_ms"):
                rows.append(_cpu_row("pages", key, page["alone_cpu_ms"]))
            rows.append(
                (
                    "pages",
                    f"{key} {pages.get('clients', 20)} clients (stress) p50 / p95 ms",
                    f"{page['p50_ms']:.0f} / {page['p95_ms']:.0f}",
                    "",
                    "",
                )
            )
            rows.append(
                (
                    "pages",
                    f"{key} queries (small -> full)",
                    f"{page.get('queries_small')} -> {queries}",
                    "constant",
                    "yes" if constant else "NO",
                )
            )
        for key in pages.get("missing_pages", []):
            rows.append(("pages", key, "page missing", "", "?"))
    precision = results.get("precision")
    if precision:
        rows += [
            ("precision", f"{precision['messages']} messages, seconds late p50", f"{precision['p50_seconds']}", "", ""),
            ("precision", "seconds late p95", f"{precision['p95_seconds']}", "<= 6", _ok(precision["p95_seconds"], 6)),
            ("precision", "seconds late min / max", f"{precision['min_seconds']} / {precision['max_seconds']}", "", ""),
            ("precision", "p95 had the tick come last", f"{precision.get('worst_phase_p95_seconds')}", "", ""),
        ]
    rows += ingest_rows(results.get("ingest"))
    rows += inbox_page_rows(results.get("inbox_pages"))
    rows += replies_rows(results.get("replies"))
    rows += analytics_page_rows(results.get("analytics_pages"))
    return rows


def replies_rows(replies: dict | None) -> list[tuple[str, str, str, str, str]]:
    if not replies:
        return []
    return [
        (
            "replies",
            "cleared at once, sent",
            f"{replies['sent']:,} / {replies['replies']:,} in {replies['seconds_to_all_sent']} s",
            "all, within the limits",
            "yes" if replies["sent"] == replies["replies"] else "NO",
        ),
        (
            "replies",
            "level 0: seconds to the call, p50 / max",
            f"{replies['level0_call_start_p50']} / {replies['level0_call_start_max']}",
            "<= 1",
            _ok(replies["level0_call_start_max"], 1),
        ),
        (
            "replies",
            "duplicates / lost",
            f"{replies['duplicates']} / {replies['lost']}",
            "0 / 0",
            "yes" if replies["duplicates"] == 0 and replies["lost"] == 0 else "NO",
        ),
    ]


def _load(result: dict) -> str:
    before, after = result.get("load_average_before"), result.get("load_average_after")
    if not before or not after:
        return ""
    return f" (load {before[0]} -> {after[0]})"


def _fanout_rows(name: str, fanout: dict, limit: float) -> list[tuple[str, str, str, str, str]]:
    calls = fanout["concurrency"]
    return [
        (
            name,
            "deliveries sent",
            f"{fanout['sent']:,} / {fanout['deliveries']:,}",
            "all",
            "yes" if fanout["sent"] == fanout["deliveries"] else "NO",
        ),
        (
            name,
            f"seconds, commit -> last sent, {calls} calls in flight{_load(fanout)}",
            f"{fanout['seconds']}",
            f"<= {limit}",
            _ok(fanout["seconds"], limit),
        ),
        (
            name,
            "seconds, commit -> first sent",
            f"{fanout['first_seconds']}",
            "<= 0.5",
            _ok(fanout["first_seconds"], 0.5),
        ),
        (
            name,
            f"ideal seconds (x {fanout['latency_ms']} ms / {calls} calls)",
            f"{fanout['ideal_seconds']}",
            "",
            "",
        ),
        (
            name,
            "efficiency, ideal / measured",
            f"{fanout['efficiency']}",
            ">= 0.85" if calls <= 64 else "",
            _ok(fanout["efficiency"], 0.85, most=False) if calls <= 64 else "",
        ),
        (
            name,
            "crisis workers' CPU ms / delivery",
            f"{fanout.get('worker_cpu_ms_per_delivery')}",
            "<= 4",
            _ok(fanout.get("worker_cpu_ms_per_delivery"), 4),
        ),
        (
            name,
            "our CPU seconds / cores = floor, with the sandbox",
            f"{fanout.get('cpu_seconds_ours')} / {fanout['machine']['nproc']} = {fanout.get('cpu_floor_seconds')}",
            "",
            "",
        ),
        (
            name,
            "the same without the sandbox",
            f"{fanout.get('cpu_seconds_ours_without_sandbox')} / {fanout['machine']['nproc']}"
            f" = {fanout.get('cpu_floor_seconds_without_sandbox')}",
            "",
            "",
        ),
        (name, "sandbox CPU ms / API call", f"{fanout.get('sandbox_cpu_ms_per_call')}", "", ""),
        (name, "share of the cores our processes got", f"{fanout.get('share_of_cores')}", "", ""),
        (
            name,
            "duplicates / lost",
            f"{fanout['duplicates']} / {fanout['lost']}",
            "0 / 0",
            "yes" if fanout["duplicates"] == 0 and fanout["lost"] == 0 else "NO",
        ),
        (
            name,
            "crisis worker peak RSS, MB",
            f"{fanout['worker_rss_mb']}",
            "<= 250",
            _ok(fanout["worker_rss_mb"], 250),
        ),
    ]


def ingest_cost_rows(ingest: dict) -> list[tuple[str, str, str, str, str]]:
    """What ingesting cost (results of bench/ingest.py from issue 14's batches on)."""
    rows = []
    if "cpu_seconds_ingesting" in ingest:
        rows.append(
            (
                "ingest",
                "CPU s of the ingesting processes (gunicorn + listen worker) / ms per item",
                f"{ingest['cpu_seconds_ingesting']} / {ingest['cpu_ms_per_item_ingesting']}",
                "",
                "",
            )
        )
    if ingest.get("postgres_cpu_seconds") is not None:
        rows.append(("ingest", "PostgreSQL backends' CPU s", f"{ingest['postgres_cpu_seconds']}", "", ""))
    if ingest.get("queries_per_item"):
        queries = ingest["queries_per_item"]
        rows.append(
            (
                "ingest",
                "statements per item, a batch of 100 new / replayed / edited",
                f"{queries['new']} / {queries['replayed']} / {queries['edited']}",
                "",
                "",
            )
        )
    steady = ingest.get("steady_polling")
    if steady:
        rows.append(
            (
                "ingest",
                "steady polling of 1,084 accounts, % of one core (worker + beat; with PostgreSQL)",
                f"{steady['percent_of_one_core']} ({steady.get('percent_of_one_core_with_postgres')})",
                "<= 10",
                _ok(steady["percent_of_one_core"], 10),
            )
        )
    return rows


def ingest_rows(ingest: dict | None) -> list[tuple[str, str, str, str, str]]:
    if not ingest:
        return []
    return [
        (
            "ingest",
            f"{ingest['items_said']:,} items to {ingest['accounts']} accounts: seconds to store",
            f"{ingest['seconds']}" + (" (timed out)" if ingest.get("timed_out") else ""),
            "<= 30",
            _ok(None if ingest.get("timed_out") else ingest["seconds"], 30),
        ),
        (
            "ingest",
            "stored after (half / nine tenths / all), s",
            json.dumps(ingest.get("stored_after_seconds")),
            "",
            "",
        ),
        (
            "ingest",
            "lost / duplicated",
            f"{ingest['lost']} / {ingest['duplicates']}",
            "0 / 0",
            "yes" if ingest["lost"] == 0 and ingest["duplicates"] == 0 else "NO",
        ),
        ("ingest", "conversations / threads said", f"{ingest['conversations']} / {ingest['threads_said']}", "", ""),
        ("ingest", "webhook answers", json.dumps(ingest["webhook_answers"]), "200 only", ""),
        *ingest_cost_rows(ingest),
        (
            "ingest",
            "load average before / after",
            f"{ingest['load_average_before']} / {ingest['load_average_after']}",
            "",
            "",
        ),
    ]


def inbox_page_rows(pages: dict | None) -> list[tuple[str, str, str, str, str]]:
    if not pages:
        return []
    rows = [
        (
            "inbox_pages",
            f"data: {pages['items']:,} items / {pages['conversations']:,} conversations",
            f"{pages['generate_seconds']} s to write",
            "",
            "",
        )
    ]
    for key, page in pages["pages"].items():
        if "p95_ms" not in page:
            rows.append(("inbox_pages", f"{key} p50 / p95 ms", page.get("error", "?"), "p95 <= 150", "NO"))
            continue
        rows.append(
            (
                "inbox_pages",
                f"{key} p50 / p95 ms",
                f"{page['p50_ms']:.0f} / {page['p95_ms']:.0f}",
                "p95 <= 150",
                _ok(page["p95_ms"], 150),
            )
        )
        rows.append(
            (
                "inbox_pages",
                f"{key} queries (small -> full)",
                f"{page.get('queries_small')} -> {page.get('queries')}",
                "constant",
                "yes" if page.get("queries_small") == page.get("queries") else "NO",
            )
        )
    rows.append(
        (
            "inbox_pages",
            "load average before / after",
            f"{pages['load_average_before']} / {pages['load_average_after']}",
            "",
            "",
        )
    )
    return rows


def analytics_page_rows(pages: dict | None) -> list[tuple[str, str, str, str, str]]:
    if not pages:
        return []
    rows = [
        (
            "analytics_pages",
            f"data: {pages['snapshots']:,} snapshots / {pages['daily_rows']:,} daily rows",
            f"{pages['generate_seconds']} s to write",
            "",
            "",
        )
    ]
    mixed = pages.get("open_loop") or {}
    if mixed:
        rows.append(
            (
                "analytics_pages",
                f"open loop {mixed['rate_per_second']:g}/s, every page, p50 / p95 ms (load {mixed['load_average'][0]})",
                f"{mixed['p50_ms']:.0f} / {mixed['p95_ms']:.0f}",
                "p95 <= 150",
                _ok(mixed["p95_ms"], 150),
            )
        )
    for key, page in pages["pages"].items():
        if "p95_ms" not in page:
            rows.append(("analytics_pages", f"{key} p50 / p95 ms", page.get("error", "?"), "p95 <= 150", "NO"))
            continue
        if "alone_p50_ms" in page:
            rows.append(("analytics_pages", f"{key} alone p50 ms", f"{page['alone_p50_ms']:.0f}", "", ""))
        if page.get("alone_cpu_ms"):
            rows.append(_cpu_row("analytics_pages", key, page["alone_cpu_ms"]))
        rows.append(
            (
                "analytics_pages",
                f"{key} {pages.get('clients', 20)} clients (stress) p50 / p95 ms",
                f"{page['p50_ms']:.0f} / {page['p95_ms']:.0f}",
                "",
                "",
            )
        )
        rows.append(
            (
                "analytics_pages",
                f"{key} queries (small -> full)",
                f"{page.get('queries_small')} -> {page.get('queries')}",
                "constant",
                "yes" if page.get("queries_small") == page.get("queries") else "NO",
            )
        )
    return rows


def _cpu_row(bench: str, key: str, cpu: list[float]) -> tuple[str, str, str, str, str]:
    """The server's CPU per request (web + database): what p50 <= 30 ms alone and p95 <= 150 ms
    at 30 requests a second need on a quiet machine, whatever the load of this one."""
    return (bench, f"{key} server CPU per request, web + database ms", f"{cpu[0]:.1f} + {cpu[1]:.1f}", "< 30", "")


def print_table(results: dict[str, dict], backend: str) -> None:
    info = machine()
    print()
    print(
        f"Diplomacy Hub benchmarks on {backend}, {now_iso()}: {info['nproc']} CPUs ({info['cpu']}), "
        f"{info['memory_gb']} GB, load average {info['load_average']}"
    )
    rows = [("benchmark", "figure", "value", "target", "met"), *table(results)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    for n, row in enumerate(rows):
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


def markdown_table(results: dict[str, dict], backend: str) -> str:
    """The same table in Markdown, for docs/benchmarks.md (written to var/bench/table-<backend>.md)."""
    info = machine()
    lines = [
        f"`make bench` on {backend}, {now_iso()}: {info['nproc']} CPUs ({info['cpu']}), load average at the end "
        f"{info['load_average']}.",
        "",
        "| benchmark | figure | value | target | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in table(results)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"{', '.join(BENCHMARKS)} (comma-separated for several)")
    parser.add_argument(
        "--quick", action="store_true", help="smaller runs (fan-out to 40 missions, 10,000 messages, 20 scheduled)"
    )
    args, extra = parser.parse_known_args(argv)
    chosen = [name.strip() for name in (args.only or ",".join(BENCHMARKS)).split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose among {', '.join(BENCHMARKS)}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    backend = Backend.from_environment().name
    print(f"Benchmarks on {backend} ({'quick' if args.quick else 'full'}): {', '.join(chosen)}", flush=True)
    results: dict[str, dict] = {}
    failures = []
    for name in chosen:
        result, seconds, error = run_one(name, quick=args.quick, extra=extra if len(chosen) == 1 else [])
        if result is None:
            failures.append(error)
            print(error, file=sys.stderr)
            continue
        result["run_seconds"] = round(seconds, 1)
        results[name] = result
        print(f"   {name} done in {seconds:.0f} s", flush=True)
    path = QUICK_RESULTS if args.quick else RESULTS
    saved = json.loads(path.read_text()) if path.exists() else {}
    for name, result in results.items():
        saved[name] = result
        saved.setdefault("backends", {}).setdefault(result["backend"], {})[name] = result
    if results:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=2, sort_keys=False, default=str) + "\n")
        print(f"\nWrote {path.relative_to(REPO)}")
    print_table(results, backend)
    if results:
        markdown = BENCH_VAR / f"table-{backend}{'-quick' if args.quick else ''}.md"
        markdown.write_text(markdown_table(results, backend))
        print(f"\nThe table in Markdown: {markdown.relative_to(REPO)}")
    broken = [name for name, r in results.items() if r.get("duplicates") or r.get("lost")]
    if failures or broken:
        if broken:
            print(f"\nDuplicates or losses in: {', '.join(broken)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
