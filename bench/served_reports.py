"""Benchmark the reports as the API serves them, alone and beside programme-detail load.

    .venv/bin/python -m bench.served_reports [--requests 15] [--duration 10]

On the synthetic registry (data/bench/registry.db, built by `python -m bench.run` when missing),
one worker each time:
- p50 of one request at a time for a programme's HTML report, a nation's and the matrix, with
  finished reports not kept (REGISTRY_REPORT_CACHE_SIZE=0), and of a PDF kept from before;
- programme detail under wrk alone, then while another client asks for programme PDFs in a loop
  (none kept): p99, errors and throughput against the solo figure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import dataset, wrk
from bench.run import AS_OF, BIN, OUT
from bench.servers import HOST, free_port, serving, wait_idle

REPORT_P50_MS = {"programme HTML": 100.0, "nation HTML": 200.0, "matrix HTML": 300.0,
                 "kept PDF": 20.0}  # fmt: skip
MIXED_P99_MS, MIXED_SHARE = 100.0, 0.5


@dataclass(frozen=True)
class Timing:
    name: str
    p50_ms: float
    max_ms: float
    failures: int


def _serve(db: Path, port: int, *, kept: int) -> AbstractContextManager[None]:
    command = [
        str(BIN / "registry"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = {"REGISTRY_DATABASE_URL": f"sqlite:///{db}", "REGISTRY_REPORT_CACHE_SIZE": str(kept)}
    return serving(command, ready_url=f"http://{HOST}:{port}/health", log=OUT / "reports.log",
                   env=env)  # fmt: skip


def one_at_a_time(client: httpx.Client, name: str, paths: list[str]) -> Timing:
    times, failures = [], 0
    for path in paths:
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        failures += answer.status_code != 200
    timing = Timing(name, statistics.median(times), max(times), failures)
    print(f"  {name:<16} p50 {timing.p50_ms:8.1f} ms  max {timing.max_ms:8.1f} ms  "
          f"failures {failures}", flush=True)  # fmt: skip
    return timing


def report_timings(db: Path, args: argparse.Namespace, allies: list[str]) -> list[Timing]:
    port = free_port()
    base = f"http://{HOST}:{port}"
    pick = random.Random(7)
    programmes = [f"prog-{pick.randint(1, args.programmes):04d}" for _ in range(args.requests)]
    nations = [pick.choice(allies) for _ in range(args.requests)]
    days = [f"20{10 + i % 15}-12-31" for i in range(args.requests)]
    print("reports, one request at a time (none kept):", flush=True)
    with _serve(db, port, kept=0), httpx.Client(base_url=base, timeout=120) as client:
        timings = [
            one_at_a_time(client, "programme HTML",
                          [f"/reports/programmes/{p}?as_of={AS_OF}" for p in programmes]),
            one_at_a_time(client, "nation HTML",
                          [f"/reports/nations/{n}?as_of={AS_OF}" for n in nations]),
            one_at_a_time(client, "matrix HTML", [f"/reports/membership?as_of={d}" for d in days]),
        ]  # fmt: skip
    port = free_port()
    base = f"http://{HOST}:{port}"
    with _serve(db, port, kept=64), httpx.Client(base_url=base, timeout=120) as client:
        pdf = f"/reports/programmes/prog-0001?as_of={AS_OF}&format=pdf"
        client.get(pdf)  # drawn once, kept after
        timings.append(one_at_a_time(client, "kept PDF", [pdf] * args.requests))
    return timings


def mixed_load(db: Path, args: argparse.Namespace) -> tuple[wrk.WrkResult, wrk.WrkResult, int]:
    """Programme detail under wrk alone, then beside a client looping uncached PDF reports;
    returns both results and how many PDFs were drawn meanwhile."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    lua = f'"/api/programmes/" .. string.format("prog-%04d", math.random({args.programmes}))'
    script = wrk.lua_script(lua)
    load = {"connections": 64, "threads": 2}
    stop, drawn = threading.Event(), [0]

    def loop_pdfs() -> None:
        pick = random.Random(11)
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                slug = f"prog-{pick.randint(1, args.programmes):04d}"
                if client.get(f"/reports/programmes/{slug}?format=pdf").status_code == 200:
                    drawn[0] += 1

    with _serve(db, port, kept=0):
        wrk.run(base, script, duration=args.warmup, **load)
        wait_idle(f"{base}/health")
        solo = wrk.run(base, script, duration=args.duration, **load)
        wait_idle(f"{base}/health")
        pdfs = threading.Thread(target=loop_pdfs)
        pdfs.start()
        try:
            time.sleep(2)  # the first PDF is being drawn
            mixed = wrk.run(base, script, duration=args.duration, **load)
        finally:
            stop.set()
            pdfs.join()
    for name, result in (("detail alone", solo), ("detail beside PDFs", mixed)):
        print(f"  {name:<20} {result.requests_per_s:8.1f} req/s  p50 {result.p50_ms:7.2f} ms  "
              f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}", flush=True)  # fmt: skip
    print(f"  PDFs drawn meanwhile: {drawn[0]}", flush=True)
    return solo, mixed, drawn[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.served_reports",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument("--requests", type=int, default=15, help="requests per report row")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of wrk load")
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args(argv)
    args.programmes = dataset.SIZES["programmes"]
    db = OUT / "registry.db"
    dataset.ensure(db, rebuild=False)
    _, _, allies = dataset.ids(db)

    timings = report_timings(db, args, allies)
    print("programme detail beside PDF reports (none kept):", flush=True)
    solo, mixed, drawn = mixed_load(db, args)

    print("\ntargets:")
    for timing in timings:
        target = REPORT_P50_MS[timing.name]
        met = timing.p50_ms <= target and timing.failures == 0
        print(f"  {timing.name}: p50 <= {target:g} ms: {'met' if met else 'not met'}"
              f" ({timing.p50_ms:.1f} ms)")  # fmt: skip
    share = mixed.requests_per_s / solo.requests_per_s if solo.requests_per_s else 0.0
    met = mixed.p99_ms <= MIXED_P99_MS and mixed.errors == 0 and share >= MIXED_SHARE and drawn > 0
    print(f"  detail beside PDFs: p99 <= {MIXED_P99_MS:g} ms, no errors, >= "
          f"{MIXED_SHARE:.0%} of alone: {'met' if met else 'not met'} (p99 {mixed.p99_ms:.1f} ms, "
          f"{mixed.errors} errors, {share:.0%}, {drawn} PDFs)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
