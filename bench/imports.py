"""Benchmark bulk imports: rows, seconds and rows/s, each run on a fresh SQLite file.

    .venv/bin/python -m bench.imports [--sizes 2500,10000,50000] [--kinds participations,contracts]

Target on this machine: 50,000 rows in <= 30 s, and rows/s about the same at every size (linear
time). Each run builds a registry of synthetic programmes (no members, contracts or fleets yet)
in a temporary folder, writes a valid CSV and imports it the way `registry import` does: read,
check every row through the registry's rules, commit once.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from sqlalchemy import select

from registry.database import make_engine, unit_of_work
from registry.imports import import_rows, read_table
from registry.migrate import upgrade
from registry.schema import metadata
from seed.synthetic import build_synthetic

PROGRAMMES = 100
TARGET_ROWS, TARGET_SECONDS = 50_000, 30.0


def participations(rows: int, nations: list[str]) -> pl.DataFrame:
    """Spells that each join and leave: every nation cycles through every programme many times,
    with a cost share, so the share and rejoin rules see long histories."""
    pairs = PROGRAMMES * len(nations)
    spell = [n // pairs for n in range(rows)]
    return pl.DataFrame(
        {
            "programme": [f"prog-{n % PROGRAMMES + 1:04d}" for n in range(rows)],
            "nation": [nations[n // PROGRAMMES % len(nations)] for n in range(rows)],
            "joined": [f"{1900 + 2 * s}-03" for s in spell],
            "left": [f"{1901 + 2 * s}-02" for s in spell],
            "role": ["participant"] * rows,
            "cost_share": ["0.5"] * rows,
        }
    )


def contracts(rows: int, _nations: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "programme": [f"prog-{n % PROGRAMMES + 1:04d}" for n in range(rows)],
            "reference": [f"IMP-{n:06d}" for n in range(rows)],
            "title": [f"Imported contract {n}" for n in range(rows)],
            "kind": ["acquisition"] * rows,
            "signed": [f"{2000 + n % 25}-{n % 12 + 1:02d}" for n in range(rows)],
            "amount": [f"{1000 + n}.50" for n in range(rows)],
            "currency": ["EUR"] * rows,
            "contractor": [f"contractor-{n % 50 + 1:02d}" for n in range(rows)],
        }
    )


def fleet_events(rows: int, _nations: list[str]) -> pl.DataFrame:
    """Orders then deliveries on the fleet programmes (every fourth), never below zero."""
    fleets = [n for n in range(1, PROGRAMMES + 1) if n % 4 == 1]
    month = [n // len(fleets) for n in range(rows)]  # each fleet's nth event, one a month
    return pl.DataFrame(
        {
            "programme": [f"prog-{fleets[n % len(fleets)]:04d}" for n in range(rows)],
            "date": [f"{1900 + m // 12}-{m % 12 + 1:02d}-15" for m in month],
            "kind": ["ordered" if m % 2 == 0 else "delivered" for m in month],
            "count": ["2"] * rows,
        }
    )


KINDS: dict[str, Callable[[int, list[str]], pl.DataFrame]] = {
    "participations": participations,
    "contracts": contracts,
    "fleet-events": fleet_events,
}


def run(kind: str, rows: int, folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds to read and import `rows` rows of `kind` into a fresh registry."""
    path = folder / f"{kind}-{rows}.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        build_synthetic(
            engine, programmes=PROGRAMMES, participations=0, contracts=0, fleet_events=0
        )
        with engine.connect() as connection:
            nation = metadata.tables["nation"]
            codes = list(
                connection.execute(select(nation.c.code).order_by(nation.c.code)).scalars()
            )
        buffer = io.BytesIO()
        KINDS[kind](rows, codes).write_csv(buffer)
        started, cpu = time.perf_counter(), time.process_time()
        with unit_of_work(engine) as session:
            result = import_rows(session, kind, read_table(buffer.getvalue()), actor="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(result.rows) >= rows
        return seconds, cpu
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.imports", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="2500,10000,50000", help="rows per run, comma-separated")
    parser.add_argument("--kinds", default="participations,contracts", help=", ".join(KINDS))
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    # CPU seconds beside wall seconds: on a busy machine the wall clock also counts waiting.
    print(f"{'kind':<16} {'rows':>8} {'seconds':>9} {'cpu s':>9} {'rows/s':>9}  target")
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.kinds.split(","):
            for rows in sizes:
                seconds, cpu = run(kind, rows, Path(folder))
                verdict = ""
                if rows == TARGET_ROWS:
                    met = "met" if seconds <= TARGET_SECONDS else "not met"
                    verdict = f"<= {TARGET_SECONDS:g} s: {met}"
                speed = rows / seconds
                print(f"{kind:<16} {rows:>8} {seconds:>9.2f} {cpu:>9.2f} {speed:>9.0f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
