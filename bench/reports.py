"""Benchmark the reports on the synthetic registry: wall time and peak memory.

    .venv/bin/python -m bench.reports

Targets on this machine: membership matrix HTML <= 1 s, one programme report <= 100 ms once the
frames are loaded, all programme reports <= 60 s, peak memory <= 1 GB. Uses the database that
`python -m bench.run` builds (data/bench/registry.db); builds it when missing.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from bench import dataset
from bench.run import OUT
from registry.database import make_engine
from reports import documents
from reports.build import write_reports
from reports.frames import load_frames
from reports.pdf import html_to_pdf

AS_OF = date(2025, 7, 1)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process, and of the largest worker process (MB)."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def main() -> int:
    db = OUT / "registry.db"
    dataset.ensure(db, rebuild=False)
    engine = make_engine(f"sqlite:///{db}")
    load_s, frames = timed(lambda: load_frames(engine))
    stamp = documents.stamp(frames, AS_OF)
    slugs = frames.programmes["slug"].to_list()
    matrix_s, _ = timed(lambda: documents.membership_report(frames, stamp))
    samples = [timed(partial(documents.programme_report, frames, s, stamp))[0] for s in slugs[:20]]
    one_s = sorted(samples)[len(samples) // 2]
    with tempfile.TemporaryDirectory() as folder:
        all_s, _ = timed(lambda: write_reports(engine, "programme", Path(folder), as_of=AS_OF))
    page = documents.programme_report(frames, slugs[0], stamp)
    pdf_s, pdf = timed(lambda: html_to_pdf(page))
    rows = [
        ("load frames (100,000 contracts)", load_s, None),
        ("membership matrix HTML", matrix_s, 1.0),
        ("one programme report (median of 20)", one_s, 0.1),
        (f"all {len(slugs)} programme reports (written, {os.cpu_count()} processes)", all_s, 60.0),
        (f"one programme PDF ({len(pdf) // 1024} KiB)", pdf_s, None),
    ]
    print(f"{'report':<40} {'seconds':>9}  target")
    for name, seconds, target in rows:
        verdict = (
            ""
            if target is None
            else f"<= {target:g} s: {'met' if seconds <= target else 'not met'}"
        )
        print(f"{name:<40} {seconds:>9.3f}  {verdict}")
    own, worker = peak_mb()
    for name, peak in (("peak memory, main process", own), ("peak memory, largest worker", worker)):
        print(f"{name:<40} {peak:>7.0f} MB  <= 1024 MB: {'met' if peak <= 1024 else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
