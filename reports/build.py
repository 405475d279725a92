"""Write reports to a static folder: the chosen reports, their PDFs if asked, and an index.

Many reports are drawn by one process per core (charts cost ~0.1 s each): each worker reads the
same database into its own frames, so nothing large crosses between processes.

Everything is written into a temporary folder first and moved into place only when every file is
done, so a failure (a full disk, Ctrl-C) leaves the target folder as it was.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from registry.conversion import Rates, contract_currencies, rate_currency
from registry.database import make_engine
from registry.export import replacing
from registry.history import Known
from reports import documents
from reports.frames import Frames, load_frames
from reports.render import Stamp

KINDS = ("programme", "nation", "membership", "contracts", "all")
PARALLEL_FROM = 100  # below this many reports, starting workers costs more than it saves
CHUNK = 25


@dataclass(frozen=True)
class Job:
    path: str
    title: str
    report: str
    key: str = ""


def jobs(frames: Frames, kind: str) -> list[Job]:
    """Every report of `kind` ("all": every report), as paths relative to the folder."""
    found: list[Job] = []
    if kind in ("membership", "all"):
        found.append(Job("membership.html", "Alliance membership matrix", "membership"))
    if kind in ("contracts", "all"):
        found.append(Job("contracts.html", "Contracts summary", "contracts"))
    if kind in ("programme", "all"):
        for slug, name in frames.programmes.select("slug", "name").iter_rows():
            found.append(Job(f"programmes/{slug}.html", name, "programme", slug))
    if kind in ("nation", "all"):
        members = frames.spells.select("nation").unique()
        nations = frames.nations.join(members, left_on="code", right_on="nation").sort("name")
        for code, name in nations.select("code", "name").iter_rows():
            found.append(Job(f"nations/{code}.html", name, "nation", code))
    return found


def render(frames: Frames, stamp: Stamp, report: str, key: str = "") -> str:
    """One report as HTML: `programme` and `nation` name theirs by `key` (slug, alpha-3)."""
    if report == "programme":
        return documents.programme_report(frames, key, stamp)
    if report == "nation":
        return documents.nation_report(frames, key, stamp)
    if report == "membership":
        return documents.membership_report(frames, stamp)
    return documents.contracts_report(frames, stamp)


def _write(frames: Frames, stamp: Stamp, job: Job, out: Path, pdf: bool) -> list[Path]:
    target = out / job.path
    target.parent.mkdir(parents=True, exist_ok=True)
    html = render(frames, stamp, job.report, job.key)
    target.write_text(html, encoding="utf-8")
    if not pdf:
        return [target]
    from reports.pdf import html_to_pdf

    target.with_suffix(".pdf").write_bytes(html_to_pdf(html))
    return [target, target.with_suffix(".pdf")]


def _worker(
    url: str, todo: list[Job], stamp: Stamp, known: Known, out: Path, pdf: bool
) -> list[Path]:
    engine = make_engine(url)
    frames = load_frames(engine, known)
    engine.dispose()
    return [path for job in todo for path in _write(frames, stamp, job, out, pdf)]


def write_reports(
    engine: Engine,
    kind: str,
    out: Path,
    *,
    as_of: date,
    known: Known = None,
    as_known_on: datetime | None = None,
    since: date | None = None,
    convert_to: str | None = None,
    pdf: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write the reports and an index page linking them into `out`; returns the files written.
    The membership shown is as the registry knew it at `known` (stated as `as_known_on`);
    programme reports list what changed after `since` when it is given.

    A new `out` appears whole; an existing one keeps its other files, and files of the same
    names are replaced one by one, each whole."""
    target, rates = None, None
    if convert_to:
        with Session(engine) as session:
            target = rate_currency(session, convert_to, "convert-to")
            rates = Rates.read(session, [target, *contract_currencies(session)])
    frames = load_frames(engine, known)
    stamp = documents.stamp(frames, as_of, as_known_on=as_known_on, since=since,
                            convert_to=target, rates=rates)  # fmt: skip
    todo = jobs(frames, kind)
    if on_start is not None:
        on_start(len(todo))
    tick = progress or (lambda _: None)
    workers = workers or os.cpu_count() or 1
    written: list[Path] = []
    with _staged(out) as folder:
        if workers > 1 and len(todo) >= PARALLEL_FROM:
            # One process per core already: each worker's polars keeps to one thread (the
            # workers take the variable from this process's environment when they start).
            threads = os.environ.get("POLARS_MAX_THREADS")
            os.environ["POLARS_MAX_THREADS"] = "1"
            try:
                written = _in_workers(todo, engine, stamp, known, folder, pdf, workers, tick)
            finally:
                if threads is None:
                    del os.environ["POLARS_MAX_THREADS"]
                else:
                    os.environ["POLARS_MAX_THREADS"] = threads
        else:
            for job in todo:
                written += _write(frames, stamp, job, folder, pdf)
                tick(1)
        files = _index(todo, stamp, folder, written)
    return [out / path.relative_to(folder) for path in files]


@contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A new, empty folder to write the reports in, moved into `out` when the block completes
    and removed whatever happens. A new `out` is the folder renamed; into an existing one the
    files move one by one (each rename replaces a whole file by a whole file), the index last."""
    if not out.is_dir():
        out.parent.mkdir(parents=True, exist_ok=True)
        with replacing(out) as folder:
            folder.mkdir()
            yield folder
        return
    folder = out / f".reports.{uuid.uuid4().hex[:12]}.partial"  # same file system as `out`
    folder.mkdir()
    try:
        yield folder
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        for path in sorted(files, key=lambda p: p.name == "index.html"):
            target = out / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _in_workers(
    todo: list[Job], engine: Engine, stamp: Stamp, known: Known, out: Path, pdf: bool,
    workers: int, tick: Callable[[int], None],
) -> list[Path]:  # fmt: skip
    url = engine.url.render_as_string(hide_password=False)
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    written: list[Path] = []
    context = multiprocessing.get_context("spawn")  # polars' threads do not survive fork
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {
            pool.submit(_worker, url, chunk, stamp, known, out, pdf): len(chunk) for chunk in chunks
        }
        try:
            for future in as_completed(futures):
                written += future.result()
                tick(futures[future])
        except BaseException:
            # Start nothing more, and let running chunks end before their folder is removed.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return written


def _index(todo: list[Job], stamp: Stamp, out: Path, written: list[Path]) -> list[Path]:
    links: dict[str, list[dict[str, str]]] = {"alliance": [], "programmes": [], "nations": []}
    for job in todo:
        group = job.path.split("/")[0] if "/" in job.path else "alliance"
        links[group].append({"href": job.path, "title": job.title})
    index = out / "index.html"
    index.write_text(documents.index_page(stamp, links), encoding="utf-8")
    return [index, *sorted(written)]
