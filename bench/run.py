"""Benchmark the API's read endpoints with wrk, beside Datasette serving the same SQLite file.

    .venv/bin/python -m bench.run [--duration 10] [--rebuild]

Builds (or reuses) data/bench/registry.db, serves it with `registry serve` and then with
Datasette on 127.0.0.1, loads each endpoint from a separate wrk process, prints one table and the
targets, and writes data/bench/results.json. Every server it starts is stopped when it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from bench import dataset, wrk
from bench.servers import HOST, free_port, serving, status, wait_idle

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "bench"
BIN = Path(sys.executable).parent
AS_OF = "2020-01-01"
LIST_P50_MS = 50.0
DETAIL_RPS, DETAIL_P99_MS = 1500.0, 60.0
DETAIL, DATASETTE = "programme detail", "datasette row"
BOTH_AXES, DIFF = "detail on both axes", "diff, one at a time"
KNOWN_ON = "2099-12-31"  # after every write: the whole registry as known, read on both axes
AXES_RPS, AXES_RPS_NO_CACHE, DIFF_P50_MS = 1500.0, 700.0, 20.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    lua: str
    """A Lua expression for the path: each request evaluates it, so caches see varied URLs."""
    example: str
    """One path it yields, fetched once before the load to show that the route answers."""
    is_list: bool = False
    connections: int | None = None
    """Open connections (default: --connections); 1 measures one request at a time."""


@dataclass
class Row:
    endpoint: str
    example: str
    example_status: int | None
    example_ms: float | None = None
    """How long the one GET of the example took, before any load."""
    result: wrk.WrkResult | None = None
    failure: str | None = None


def api_endpoints(programmes: int) -> list[Endpoint]:
    slug = f'string.format("prog-%04d", math.random({programmes}))'
    nation = '"/api/nations/" .. codes[math.random(#codes)]'
    contracts = "/api/contracts?currency=EUR&min_value=1000000&limit=50&offset="
    return [
        Endpoint(DETAIL, f'"/api/programmes/" .. {slug}', "/api/programmes/prog-0001"),
        Endpoint(
            "participants as_of", f'"/api/programmes/" .. {slug} .. "/participants?as_of={AS_OF}"',
            f"/api/programmes/prog-0001/participants?as_of={AS_OF}", is_list=True,
        ),
        Endpoint(
            "nation's programmes", f'{nation} .. "?as_of={AS_OF}"',
            f"/api/nations/DEU?as_of={AS_OF}", is_list=True,
        ),
        Endpoint(
            "contracts EUR >= 1M", f'"{contracts}" .. 50 * math.random(0, 20)',
            f"{contracts}0", is_list=True,
        ),
        Endpoint(
            BOTH_AXES,
            f'"/api/programmes/" .. {slug} .. "?as_of={AS_OF}&as_known_on={KNOWN_ON}"',
            f"/api/programmes/prog-0001?as_of={AS_OF}&as_known_on={KNOWN_ON}",
        ),
        Endpoint(
            DIFF, f'"/api/programmes/" .. {slug} .. "/diff?from=2015-01-01&to={AS_OF}"',
            f"/api/programmes/prog-0001/diff?from=2015-01-01&to={AS_OF}", connections=1,
        ),
    ]  # fmt: skip


def datasette_endpoint(low: int, high: int, database: str) -> Endpoint:
    lua = f'"/{database}/programme/" .. math.random({low}, {high}) .. ".json"'
    return Endpoint(DATASETTE, lua, f"/{database}/programme/{low}.json")


def measure(
    base: str, endpoint: Endpoint, prelude: str, args: argparse.Namespace, ready_url: str
) -> Row:
    """Warm up, then load one endpoint for the set duration."""
    script = wrk.lua_script(endpoint.lua, prelude)
    started = time.perf_counter()
    row = Row(endpoint.name, endpoint.example, status(base + endpoint.example))
    row.example_ms = round((time.perf_counter() - started) * 1000, 1)
    connections = endpoint.connections or args.connections
    load = {"connections": connections, "threads": min(args.threads, connections)}
    try:
        if args.warmup > 0:
            wrk.run(base, script, duration=args.warmup, **load)
            wait_idle(ready_url)
        row.result = wrk.run(base, script, duration=args.duration, **load)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
        row.failure = str(error).splitlines()[0]
    wait_idle(ready_url)
    print(f"  {_line(row)}", flush=True)
    return row


def serve_available() -> bool:
    """Whether `registry serve` exists yet (the API is being built beside this harness)."""
    try:
        done = subprocess.run(
            [str(BIN / "registry"), "serve", "--help"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def bench_api(db: Path, prelude: str, args: argparse.Namespace, *, cache: bool = True) -> list[Row]:
    """The API's endpoints; with `cache=False` the answer cache is off (REGISTRY_CACHE_SIZE=0)
    and the rows are named "..., no cache": every request then reads the database."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    command = [
        str(BIN / "registry"), "serve", "--host", HOST, "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    env = {"REGISTRY_DATABASE_URL": f"sqlite:///{db}"}
    endpoints = api_endpoints(args.programmes)
    if not cache:
        env["REGISTRY_CACHE_SIZE"] = "0"
        endpoints = [replace(e, name=f"{e.name}, no cache") for e in endpoints]
    print(f"API{'' if cache else ' (cache off)'}: {' '.join(command)}", flush=True)
    ready = f"{base}/health"
    with serving(command, ready_url=ready, log=OUT / "api.log", env=env):
        return [measure(base, e, prelude, args, ready) for e in endpoints]


def bench_datasette(db: Path, low: int, high: int, args: argparse.Namespace) -> Row:
    port = free_port()
    base = f"http://{HOST}:{port}"
    command = [
        str(BIN / "datasette"), "serve", "-i", str(db), "--host", HOST, "--port", str(port),
        "--setting", "sql_time_limit_ms", "5000",
    ]  # fmt: skip
    print(f"Datasette: {' '.join(command)}", flush=True)
    ready = f"{base}/-/versions.json"
    with serving(command, ready_url=ready, log=OUT / "datasette.log"):
        return measure(base, datasette_endpoint(low, high, db.stem), "", args, ready)


def targets(rows: dict[str, Row], api_measured: bool) -> list[dict[str, Any]]:
    """The targets, each met (True), not met (False; a failed run too) or not measured (None)."""
    checks: list[dict[str, Any]] = []
    for endpoint in api_endpoints(1):
        if endpoint.name in (BOTH_AXES, DIFF):
            continue
        result = rows[endpoint.name].result if api_measured else None
        if endpoint.is_list:
            target = f"{endpoint.name}: p50 <= {LIST_P50_MS:g} ms"
            met = result is not None and result.p50_ms <= LIST_P50_MS
        else:
            target = f"{DETAIL}: >= {DETAIL_RPS:,.0f} req/s, p99 <= {DETAIL_P99_MS:g} ms, no errors"
            met = result is not None and (
                result.requests_per_s >= DETAIL_RPS
                and result.p99_ms <= DETAIL_P99_MS
                and result.errors == 0
            )
        checks.append({"target": target, "met": met if api_measured else None})
    for name, rps, p50 in (
        (BOTH_AXES, AXES_RPS, None), (f"{BOTH_AXES}, no cache", AXES_RPS_NO_CACHE, None),
        (DIFF, None, DIFF_P50_MS), (f"{DIFF}, no cache", None, DIFF_P50_MS),
    ):  # fmt: skip
        row = rows.get(name)
        result = row.result if row else None
        target = f"{name}: " + (f">= {rps:,.0f} req/s, no errors" if rps else f"p50 <= {p50:g} ms")
        met = (
            result is not None
            and result.errors == 0
            and (result.requests_per_s >= rps if rps else result.p50_ms <= (p50 or 0))
        )
        checks.append({"target": target, "met": met if row else None})
    return checks


def ratio(rows: dict[str, Row]) -> float | None:
    """Programme-detail throughput over Datasette's single-row throughput."""
    detail, row = rows.get(DETAIL), rows.get(DATASETTE)
    if detail and detail.result and row and row.result and row.result.requests_per_s:
        return detail.result.requests_per_s / row.result.requests_per_s
    return None


def _line(row: Row) -> str:
    if row.result is None:
        return f"{row.endpoint:<22} failed (example answered {row.example_status}): {row.failure}"
    r = row.result
    return (
        f"{row.endpoint:<22} {r.requests_per_s:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
        f"{r.errors:>7}   (one GET before: {row.example_status} in {row.example_ms} ms)"
    )


def report(rows: dict[str, Row], checks: list[dict[str, Any]], skipped: str | None) -> None:
    print(f"\n{'endpoint':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for row in rows.values():
        print(_line(row))
    if skipped:
        print(f"API not measured: {skipped}")
    share = ratio(rows)
    print(
        f"\nprogramme detail / Datasette row: {share:.2f}x"
        if share
        else "\nprogramme detail / Datasette row: not measured"
    )
    for check in checks:
        verdict = {True: "met", False: "not met", None: "not measured"}[check["met"]]
        print(f"  {check['target']}: {verdict}")


def _as_json(row: Row) -> dict[str, Any]:
    fields = asdict(row)
    if row.result:
        fields["result"]["errors"] = row.result.errors
    return fields


def _stop_on_sigterm(_signal: int, _frame: object) -> NoReturn:
    raise SystemExit(143)  # unwinds through every `finally`, so the servers stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    # Long enough that every one of the 1,000 programme URLs has been asked once: the cached
    # figures then measure the cache, not the misses of its first seconds.
    parser.add_argument("--warmup", type=float, default=8.0, help="unmeasured seconds before each")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument(
        "--no-cache", action="store_true", help="also measure the API with its answer cache off"
    )
    args = parser.parse_args(argv)
    args.programmes = dataset.SIZES["programmes"]
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    db = OUT / "registry.db"
    built = dataset.ensure(db, rebuild=args.rebuild)
    print(f"database {db}: " + (f"built in {built:.1f} s" if built else "reused"), flush=True)
    low, high, allies = dataset.ids(db)
    prelude = "codes = {" + ", ".join(f'"{code}"' for code in allies) + "}"

    rows: dict[str, Row] = {}
    skipped = None if serve_available() else "`registry serve` does not exist yet"
    if not skipped:
        try:
            rows = {row.endpoint: row for row in bench_api(db, prelude, args)}
            if args.no_cache:
                rows |= {row.endpoint: row for row in bench_api(db, prelude, args, cache=False)}
        except (RuntimeError, TimeoutError) as error:
            skipped = f"the API did not start: {error}"
    if skipped:
        print(f"API: skipped, {skipped}", flush=True)
    rows[DATASETTE] = bench_datasette(db, low, high, args)

    checks = targets(rows, skipped is None)
    report(rows, checks, skipped)
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": str(db), "sizes": dataset.SIZES, "build_seconds": built,
        "load": {"duration_s": args.duration, "warmup_s": args.warmup, "threads": args.threads,
                 "connections": args.connections, "cpus": os.cpu_count()},
        "api_skipped": skipped,
        "endpoints": [_as_json(row) for row in rows.values()],
        "detail_to_datasette_ratio": ratio(rows),
        "targets": checks,
    }  # fmt: skip
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out
        sys.exit("interrupted")
