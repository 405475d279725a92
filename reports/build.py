"""Write reports to a static folder: the chosen reports, their PDFs if asked, and an index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import Engine

from reports import documents
from reports.frames import Frames, load_frames
from reports.render import Stamp

KINDS = ("programme", "nation", "membership", "contracts", "all")


@dataclass(frozen=True)
class Job:
    path: str
    title: str
    make: Callable[[], str]


def jobs(frames: Frames, kind: str, stamp: Stamp) -> list[Job]:
    """Every report of `kind` ("all": every report), as paths relative to the folder."""
    found: list[Job] = []
    if kind in ("membership", "all"):
        make = partial(documents.membership_report, frames, stamp)
        found.append(Job("membership.html", "Alliance membership matrix", make))
    if kind in ("contracts", "all"):
        make = partial(documents.contracts_report, frames, stamp)
        found.append(Job("contracts.html", "Contracts summary", make))
    if kind in ("programme", "all"):
        for slug, name in frames.programmes.select("slug", "name").iter_rows():
            make = partial(documents.programme_report, frames, slug, stamp)
            found.append(Job(f"programmes/{slug}.html", name, make))
    if kind in ("nation", "all"):
        members = frames.spells.select("nation").unique()
        nations = frames.nations.join(members, left_on="code", right_on="nation").sort("name")
        for code, name in nations.select("code", "name").iter_rows():
            make = partial(documents.nation_report, frames, code, stamp)
            found.append(Job(f"nations/{code}.html", name, make))
    return found


def write_reports(
    engine: Engine,
    kind: str,
    out: Path,
    *,
    as_of: date,
    pdf: bool = False,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write the reports and an index page linking them; returns the files written."""
    frames = load_frames(engine)
    stamp = documents.stamp(frames, as_of)
    todo = jobs(frames, kind, stamp)
    if on_start is not None:
        on_start(len(todo))
    written = []
    for job in todo:
        target = out / job.path
        target.parent.mkdir(parents=True, exist_ok=True)
        html = job.make()
        target.write_text(html, encoding="utf-8")
        written.append(target)
        if pdf:
            from reports.pdf import html_to_pdf

            target.with_suffix(".pdf").write_bytes(html_to_pdf(html))
            written.append(target.with_suffix(".pdf"))
        if progress is not None:
            progress(1)
    links: dict[str, list[dict[str, str]]] = {"alliance": [], "programmes": [], "nations": []}
    for job in todo:
        group = job.path.split("/")[0] if "/" in job.path else "alliance"
        links[group].append({"href": job.path, "title": job.title})
    index = out / "index.html"
    index.write_text(documents.index_page(stamp, links), encoding="utf-8")
    return [index, *written]
