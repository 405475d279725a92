"""Sources and citations with a confidence per citation."""

import pytest

from registry.errors import Conflict, InvalidValue, NotFound
from registry.sources import add_source, citations_for, cite
from tests.factories import ACTOR, make_programme


@pytest.fixture
def summit(session, nations):
    make_programme(session)
    add_source(session, key="summit-2025", title="NATO concludes historic Summit in The Hague",
               publisher="NATO", published="2025-06-25", actor=ACTOR)  # fmt: skip
    session.commit()


def test_a_record_cites_sources_with_their_confidence(session, summit):
    add_source(session, key="press", title="Trade press", actor=ACTOR)
    cite(session, source="summit-2025", entity="programme", entity_id=1, confidence="high",
         actor=ACTOR)  # fmt: skip
    cite(session, source="press", entity="programme", entity_id=1, confidence="low",
         note="figures disagree", actor=ACTOR)  # fmt: skip
    session.commit()
    cited = [(s.key, c.confidence, c.note) for c, s in citations_for(session, "programme", 1)]
    assert cited == [("press", "low", "figures disagree"), ("summit-2025", "high", None)]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"source": "nope"}, "source"),
        ({"entity": "planet"}, "entity"),
        ({"confidence": "certain"}, "confidence"),
    ],
)
def test_bad_citations_are_refused(summit, refused, fields, field):
    values = {"source": "summit-2025", "entity": "programme", "entity_id": 1,
              "confidence": "high"} | fields  # fmt: skip
    error = refused(InvalidValue, lambda s: cite(s, actor=ACTOR, **values))
    assert error.fields == [field]


def test_citing_a_missing_record_is_not_found(summit, refused):
    error = refused(
        NotFound,
        lambda s: cite(s, source="summit-2025", entity="contract", entity_id=42,
                       confidence="high", actor=ACTOR),
    )  # fmt: skip
    assert error.fields == ["entity_id"]


def test_citing_the_same_source_twice_is_a_conflict(session, summit, refused):
    cite(session, source="summit-2025", entity="programme", entity_id=1, confidence="high",
         actor=ACTOR)  # fmt: skip
    session.commit()
    error = refused(
        Conflict,
        lambda s: cite(s, source="summit-2025", entity="programme", entity_id=1,
                       confidence="low", actor=ACTOR),
    )  # fmt: skip
    assert error.fields == ["source"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"key": "Bad Key"}, "key"), ({"title": ""}, "title"), ({"url": "ftp://x"}, "url"),
     ({"published": "June 2025"}, "published")],
)  # fmt: skip
def test_bad_sources_are_refused(refused, fields, field):
    values = {"key": "s", "title": "T"} | fields
    error = refused(InvalidValue, lambda s: add_source(s, actor=ACTOR, **values))
    assert error.fields == [field]


def test_source_keys_are_unique(summit, refused):
    error = refused(Conflict, lambda s: add_source(s, key="summit-2025", title="T", actor=ACTOR))
    assert error.fields == ["key"]
