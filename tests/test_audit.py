"""The audit trail: a change and its Change row commit together or not at all."""

from sqlmodel import select

from registry.audit import Change, request_id
from registry.database import unit_of_work
from registry.participation import join_programme
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
