"""The benchmark's SQLite file: built once at full size, reused while it still matches."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from registry.database import make_engine
from registry.migrate import current_revision, head_revision, upgrade
from registry.schema import metadata
from seed.synthetic import build_synthetic

SIZES = {"programmes": 1000, "participations": 20000, "contracts": 100000, "fleet_events": 10000}
TABLES = {
    "programmes": "programme", "participations": "participation",
    "contracts": "contract", "fleet_events": "fleet_event",
}  # fmt: skip


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            size: int(
                connection.execute(
                    select(func.count()).select_from(metadata.tables[t])
                ).scalar_one()
            )
            for size, t in TABLES.items()
        }


def ensure(path: Path, *, rebuild: bool) -> float | None:
    """Make `path` a migrated full-size synthetic registry; the build's seconds, None if reused."""
    if path.exists() and not rebuild and _matches(path):
        return None
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        upgrade(engine)
        build_synthetic(engine, **SIZES)
        seconds = time.perf_counter() - started
        with engine.connect() as connection:
            # All into the main file: a reader that ignores the WAL (Datasette -i) sees it all.
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return seconds
    finally:
        engine.dispose()


def _matches(path: Path) -> bool:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return current_revision(engine) == head_revision() and counts(engine) == SIZES
    except Exception:  # an unreadable or half-built file: build it again
        return False
    finally:
        engine.dispose()


def ids(path: Path) -> tuple[int, int, list[str]]:
    """Lowest and highest programme id, and the Allies' codes, for the request scripts."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            programme, nation = metadata.tables["programme"], metadata.tables["nation"]
            low, high = connection.execute(
                select(func.min(programme.c.id), func.max(programme.c.id))
            ).one()
            allies = connection.execute(
                select(nation.c.code).where(nation.c.kind == "ally").order_by(nation.c.code)
            ).scalars()
            return int(low), int(high), [str(code) for code in allies]
    finally:
        engine.dispose()
