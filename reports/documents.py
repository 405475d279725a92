"""The four reports (programme, nation, membership, contracts) and the index, as HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from registry.conversion import Rates
from registry.dates import PartialDate, Precision
from registry.diff import spell_changes
from registry.errors import NotFound
from registry.history import in_force_frame
from registry.participation import Term
from reports import aggregate as agg
from reports.charts import fleet_chart, membership_timeline
from reports.frames import Frames
from reports.render import Stamp, render


def stamp(
    frames: Frames,
    as_of: date,
    generated_at: datetime | None = None,
    *,
    as_known_on: datetime | None = None,
    since: date | None = None,
    convert_to: str | None = None,
    rates: Rates | None = None,
) -> Stamp:
    return Stamp(as_of, generated_at or datetime.now(UTC), frames.fingerprint(), as_known_on, since,
                 convert_to, rates)  # fmt: skip


def converted(contracts: pl.DataFrame, stamp: Stamp) -> dict[str, Any] | None:
    """The contracts' values in `stamp.convert_to`, each at the rate of its signing date, with
    the rates used (for the report's footnote); None when no conversion is asked for."""
    if stamp.convert_to is None or stamp.rates is None:
        return None
    target, rates = stamp.convert_to, stamp.rates
    valued = contracts.filter(
        pl.col("value_minor").is_not_null() & pl.col("currency").is_not_null()
    )
    done = [
        rates.convert(row["value_minor"], row["currency"], target, row["signed"] or stamp.as_of)
        for row in valued.select("value_minor", "currency", "signed").iter_rows(named=True)
    ]
    used = sorted({(d.original_currency, d.rate, d.rate_date, d.source) for d in done
                   if d.original_currency != target}, key=lambda u: (u[0], u[2]))  # fmt: skip
    return {
        "minor": sum(d.minor for d in done), "currency": target, "contracts": len(done),
        "rates": [{"currency": c, "rate": f"{r.quantize(Decimal('1e-6')).normalize():f}",
                   "day": day, "source": s} for c, r, day, s in used],
    }  # fmt: skip


def _terms(rows: pl.DataFrame) -> dict[int, tuple[str, str, list[Term]]]:
    """A frame of membership terms as each spell's nation, nation name and terms, oldest first."""
    spells: dict[int, tuple[str, str, list[Term]]] = {}
    for row in rows.sort("id", "valid_from").iter_rows(named=True):
        term = Term(
            PartialDate(row["valid_from"], Precision(row["valid_from_precision"])),
            PartialDate.stored(row["valid_to"], row["valid_to_precision"]),
            row["role"], row["instrument"], row["cost_share_bp"], row["note"],
        )  # fmt: skip
        spells.setdefault(row["id"], (row["nation"], row["nation_name"], []))[2].append(term)
    return spells


def _changes(terms: pl.DataFrame, since: date, as_of: date) -> dict[str, list[Any]]:
    """Who joined and left after `since` up to `as_of`, and what changed (`registry.diff`)."""
    found: dict[str, list[Any]] = {"joined": [], "left": [], "changed": []}
    for nation, name, spell in _terms(terms).values():
        began, ended, changed = spell_changes(nation, spell, since, as_of)
        if began:
            found["joined"].append({"nation": nation, "name": name, "day": spell[0].valid_from})
        if ended:
            found["left"].append({"nation": nation, "name": name, "day": spell[-1].valid_to})
        found["changed"] += [{"name": name, "change": c} for c in changed]
    for rows in found.values():
        rows.sort(key=lambda row: (_day(row), row["name"]))
    return found


def _day(row: dict[str, Any]) -> date:
    day: PartialDate = row["change"].effective if "change" in row else row["day"]
    return day.start


@dataclass
class _Footnotes:
    """Sources numbered in order of first citation; each row gets its references."""

    cited: dict[tuple[str, int], list[dict[str, Any]]]
    sources: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)

    def refs(self, entity: str, entity_id: int, what: str) -> str:
        marks = []
        for row in self.cited.get((entity, entity_id), []):
            if row["source"] not in self.numbers:
                self.numbers[row["source"]] = len(self.sources) + 1
                self.sources.append({**row, "cited": []})
            number = self.numbers[row["source"]]
            self.sources[number - 1]["cited"].append(
                {"what": what, "confidence": row["confidence"], "note": row["note"]}
            )
            marks.append(f"[{number}] {row['confidence']}")
        return ", ".join(marks)

    def annotate(
        self, rows: Iterable[dict[str, Any]], entity: str, what: str
    ) -> list[dict[str, Any]]:
        return [{**row, "refs": self.refs(entity, row["id"], what.format(**row))} for row in rows]


def programme_report(frames: Frames, slug: str, stamp: Stamp) -> str:
    found = frames.programmes.filter(pl.col("slug") == slug)
    if found.is_empty():
        raise NotFound("slug", f"no programme {slug!r}")
    programme = found.row(0, named=True)
    pid, as_of = programme["id"], stamp.as_of
    standing = frames.standings.filter(pl.col("programme_id") == pid).filter(in_force_frame(as_of))
    unknown = {"status": "—", "agency": None, "agency_name": None}  # not recorded yet then
    programme |= standing.row(0, named=True) if standing.height else unknown
    notes = _Footnotes(frames.cited)
    notes.refs("programme", pid, programme["name"])
    spells = frames.spells.filter((pl.col("programme_id") == pid) & (pl.col("joined") <= as_of))
    active = agg.active_on(spells, as_of).sort("joined", "nation_name", "id")
    # Spells not in force on the day ended by then; each shows the terms it held last.
    past = (
        spells.join(active.select("id"), on="id", how="anti")
        .unique("id", keep="last", maintain_order=True)
        .sort("joined", "nation_name", "id")
    )
    contracts = frames.contracts_on(as_of, pid)
    totals = agg.totals_by(contracts)
    points = agg.fleet_points(frames.fleet_events.filter(pl.col("programme_id") == pid))
    points = points.filter(pl.col("date") <= as_of)
    fleet = agg.fleet_on(points, as_of)
    main_asset = programme["asset_type"] or (fleet["asset_type"][0] if fleet.height else None)
    return render(
        "programme.html",
        stamp,
        title=f"{programme['name']} — membership report",
        programme=programme,
        members=notes.annotate(active.to_dicts(), "participation", "{nation_name}: membership"),
        past=notes.annotate(past.to_dicts(), "participation", "{nation_name}: membership"),
        timeline=membership_timeline(
            spells.with_columns(joined=pl.col("valid_from"), left=pl.col("valid_to")), as_of=as_of
        ),
        contracts=notes.annotate(contracts.to_dicts(), "contract", "contract {title}"),
        totals=totals.filter(pl.col("currency").is_not_null()).to_dicts(),
        # totals_by counts the contracts without a value apart, in a row with no currency.
        unvalued=int(totals.filter(pl.col("currency").is_null())["contracts"].sum()),
        instruments=notes.annotate(
            agg.instruments_on(
                frames.instruments.filter(pl.col("programme_id") == pid), as_of
            ).to_dicts(),
            "instrument",
            "instrument {title}",
        ),
        converted=converted(contracts, stamp),
        fleet=fleet.to_dicts(),
        fleet_svg=fleet_chart(
            points.filter(pl.col("asset_type") == main_asset), as_of=as_of, asset_type=main_asset
        )
        if main_asset
        else None,
        events=notes.annotate(points.to_dicts(), "fleet_event", "{kind} {count} ({asset_type})"),
        changes=_changes(frames.spells.filter(pl.col("programme_id") == pid), stamp.since, as_of)
        if stamp.since is not None and stamp.since < as_of
        else None,
        fleet_since={row["asset_type"]: row for row in agg.fleet_on(points, stamp.since).to_dicts()}
        if stamp.since
        else {},
        sources=notes.sources,
    )


def nation_report(frames: Frames, code: str, stamp: Stamp) -> str:
    found = frames.nations.filter(pl.col("code") == code)
    if found.is_empty():
        raise NotFound("code", f"no nation {code!r}")
    nation = found.row(0, named=True)
    spells = agg.active_on(frames.spells.filter(pl.col("nation") == code), stamp.as_of)
    names = frames.programmes.select(pl.col("id").alias("programme_id"), "name", "slug")
    programmes = spells.join(names, on="programme_id").sort("name")
    # Per programme and currency: a nation's programmes may hold thousands of contracts, each
    # listed in its programme's report.
    theirs = frames.contracts_on(stamp.as_of).join(
        programmes.select("programme_id"), on="programme_id"
    )
    contracts = agg.totals_by(theirs, "programme_id").join(
        names.select("programme_id", pl.col("name").alias("programme")), on="programme_id"
    )
    notes = _Footnotes(frames.cited)
    return render(
        "nation.html",
        stamp,
        title=f"{nation['name']} — programme participation",
        nation=nation,
        programmes=notes.annotate(programmes.to_dicts(), "participation", "membership of {name}"),
        contracts=contracts.sort("programme", "currency", nulls_last=True).to_dicts(),
        converted=converted(theirs, stamp),
        sources=notes.sources,
    )


def column_label(name: str, acronym: str | None) -> str:
    """A programme's short heading: its acronym; else its name when short; else the initials of
    its capitalised words, words in capitals kept whole ("NATO Innovation Ranges" → "NATO IR")."""
    if acronym:
        return acronym
    if len(name) <= 16:
        return name
    words = re.findall(r"[^\W\d_][\w'-]*", name)
    whole = [w if w.isupper() and len(w) > 1 else w[0] for w in words if w[0].isupper()]
    label = "".join(f" {w} " if len(w) > 1 else w for w in whole)
    return " ".join(label.split()) or name


def membership_report(frames: Frames, stamp: Stamp) -> str:
    matrix = agg.membership_matrix(frames.spells, frames.programmes, frames.nations, stamp.as_of)
    programmes = frames.programmes.select("slug", "name", "acronym").to_dicts()
    labels = [column_label(p["name"], p["acronym"]) for p in programmes]
    for programme, label in zip(programmes, labels, strict=True):
        # Two programmes with one label would be told apart by the key alone: use the slug.
        programme["label"] = label if labels.count(label) == 1 else programme["slug"]
    # The sources of the memberships shown, each naming the cells it supports.
    notes = _Footnotes(frames.cited)
    names = frames.programmes.select(pl.col("id").alias("programme_id"), "name")
    shown = agg.active_on(frames.spells, stamp.as_of).join(names, on="programme_id")
    for row in shown.sort("nation_name", "name").iter_rows(named=True):
        notes.refs("participation", row["id"], f"{row['nation_name']}: membership of {row['name']}")
    return render(
        "membership.html",
        stamp,
        title="Alliance membership matrix",
        programmes=programmes,
        rows=matrix.to_dicts(),
        counts=agg.matrix_column_counts(matrix),
        taking_part=matrix.filter(pl.col("programmes") > 0).height,
        sources=notes.sources,
    )


def contracts_report(frames: Frames, stamp: Stamp) -> str:
    contracts = agg.with_year(frames.contracts_on(stamp.as_of))
    by = (("contractor", "contractor"), ("awarding agency", "agency"), ("year signed", "year"))
    sections = [
        {"label": label, "rows": agg.totals_by(contracts, key).rename({key: "key"}).to_dicts()}
        for label, key in by
    ]
    per_currency = agg.totals_by(contracts).with_columns(key=pl.col("currency"))
    sections.append({"label": "currency", "rows": per_currency.to_dicts()})
    notes = _Footnotes(frames.cited)  # the sources of the contracts counted
    cited = [entity_id for entity, entity_id in frames.cited if entity == "contract"]
    sourced = contracts.filter(pl.col("id").is_in(cited)).sort("signed", "id", nulls_last=True)
    for id_, title in sourced.select("id", "title").iter_rows():
        notes.refs("contract", id_, f"contract {title}")
    return render(
        "contracts.html", stamp, title="Contracts summary", sections=sections,
        converted=converted(contracts, stamp), sources=notes.sources,
    )  # fmt: skip


def index_page(stamp: Stamp, links: dict[str, list[dict[str, str]]]) -> str:
    return render("index.html", stamp, title="Membership reports", **links)
