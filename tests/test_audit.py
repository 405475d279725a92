"""The audit trail: a change and its Change row commit together or not at all."""

from sqlmodel import select

from registry.audit import Change, DataVersion, request_id
from registry.database import unit_of_work
from registry.participation import join_programme
from registry.search import changes_page
from tests.factories import make_programme


def test_every_write_records_who_and_when_in_the_same_transaction(engine, nations):
    with unit_of_work(engine) as session:
        make_programme(session)
        join_programme(session, programme="mmf", nation="NLD", joined="2014-11", actor="alice")
    with unit_of_work(engine) as session:
        changes = session.exec(select(Change).where(Change.actor == "alice")).all()
    assert [(c.entity, c.action, c.key) for c in changes] == [
        ("participation", "create", "mmf/NLD")
    ]
    assert changes[0].at is not None


def test_a_failed_transaction_leaves_neither_the_change_nor_its_audit_row(engine, nations):
    with unit_of_work(engine) as session:
        before = len(session.exec(select(Change)).all())
    try:
        with unit_of_work(engine) as session:
            make_programme(session)
            raise RuntimeError("the request failed after the write")
    except RuntimeError:
        pass
    with unit_of_work(engine) as session:
        assert len(session.exec(select(Change)).all()) == before


def test_the_request_id_travels_onto_the_change(engine, nations):
    token = request_id.set("req-123")
    try:
        with unit_of_work(engine) as session:
            make_programme(session)
    finally:
        request_id.reset(token)
    with unit_of_work(engine) as session:
        change = session.exec(select(Change).where(Change.entity == "programme")).one()
    assert change.request_id == "req-123"


def test_the_change_log_within_a_record_keeps_its_own_and_those_under_it(session, nations):
    for slug in ("mmf", "mmf2"):
        make_programme(session, slug=slug, name=f"Programme {slug}")
    join_programme(session, programme="mmf", nation="NLD", joined="2016", actor="tester")
    keys = {change.key for (change,) in changes_page(session, within="mmf").items}
    assert keys == {"mmf", "mmf/NLD"}
    for pattern in ("mm%", "mm_", "mm"):  # no wildcards, no partial slugs
        assert changes_page(session, within=pattern).items == []


def version(engine) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(DataVersion.version)).one()


def test_the_data_version_rises_once_per_transaction_however_many_writes(engine, nations):
    start = version(engine)
    with unit_of_work(engine) as session:
        make_programme(session)
        join_programme(session, programme="mmf", nation="NLD", joined="2014-11", actor="alice")
        join_programme(session, programme="mmf", nation="LUX", joined="2014-11", actor="alice")
    assert version(engine) == start + 1


def test_a_write_after_a_rolled_back_savepoint_still_raises_the_data_version(engine, nations):
    """The savepoint that raised it was undone: the next write must raise it again, or readers
    would keep serving answers from before this transaction."""
    start = version(engine)
    with unit_of_work(engine) as session:
        savepoint = session.begin_nested()
        make_programme(session, slug="undone")
        savepoint.rollback()
        make_programme(session)
    assert version(engine) == start + 1
