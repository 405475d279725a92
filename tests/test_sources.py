"""Sources and citations with a confidence per citation; nations cite sources too; a source may be
a general compilation and a citation may quote its excerpt."""

import pytest
from sqlmodel import col, select

from registry.audit import Change
from registry.errors import Conflict, InvalidValue, NotFound
from registry.nations import Nation, nation_number, nation_of_number
from registry.sources import (
    add_source,
    citable_records,
    citations_for,
    cite,
    find_source,
    record_name,
    update_citation,
    update_source,
)
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


# --- nations cite sources by their ISO 3166 numeric code ------------------------------------


@pytest.mark.parametrize("given", [528, "528", "NLD", "nl", "the Netherlands"])
def test_a_nation_is_cited_by_its_numeric_code_or_named_by_code_or_name(session, summit, given):
    made = cite(session, source="summit-2025", entity="nation", entity_id=given,
                confidence="high", actor=ACTOR)  # fmt: skip
    session.commit()
    assert (made.entity, made.entity_id) == ("nation", 528)
    netherlands = session.get(Nation, "NLD")
    assert netherlands is not None
    assert record_name(session, "nation", 528) == netherlands.name
    assert [s.key for _, s in citations_for(session, "nation", 528)] == ["summit-2025"]
    assert (528, netherlands.name) in citable_records(session, "nation")


def test_nation_numbers_are_iso_3166_numeric_codes():
    assert (nation_number("NLD"), nation_number("BEL"), nation_of_number(56)) == (528, 56, "BEL")
    assert nation_of_number(999) is None
    with pytest.raises(LookupError):
        nation_number("XXX")


@pytest.mark.parametrize(
    ("given", "kind"),
    [("Atlantis", InvalidValue), (0, InvalidValue), ("", InvalidValue),
     (999, NotFound),  # no country has it
     ("ATA", NotFound), (10, NotFound)],  # Antarctica: ISO 3166, not a nation of the registry
)  # fmt: skip
def test_a_nation_the_registry_does_not_hold_is_refused_naming_entity_id(
    summit, refused, given, kind
):
    error = refused(
        kind,
        lambda s: cite(s, source="summit-2025", entity="nation", entity_id=given,
                       confidence="high", actor=ACTOR),
    )  # fmt: skip
    assert error.fields == ["entity_id"]


# --- general compilations and quotes --------------------------------------------------------


def test_a_source_is_a_general_compilation_or_not(session, summit):
    made = add_source(session, key="compiled", title="Public reporting", general=True,
                      actor=ACTOR)  # fmt: skip
    assert made.general is True
    assert find_source(session, "summit-2025").general is False  # type: ignore[union-attr]
    changed = update_source(session, key="compiled", general=False, actor=ACTOR)
    assert (changed.general, changed.version) == (False, 2)
    change = session.exec(select(Change).order_by(col(Change.id).desc())).first()
    assert change is not None
    assert (change.before or {})["general"] is True
    assert (change.after or {})["general"] is False


def test_general_is_true_or_false(summit, refused):
    error = refused(InvalidValue, lambda s: update_source(s, key="summit-2025", general="yes",
                                                          actor=ACTOR))  # fmt: skip
    assert error.fields == ["general"]


@pytest.mark.parametrize("key", ["check", "new"])
def test_keys_that_name_other_pages_are_refused(refused, key):
    error = refused(InvalidValue, lambda s: add_source(s, key=key, title="T", actor=ACTOR))
    assert error.fields == ["key"]


def test_a_citation_quotes_its_source_even_words_the_excerpt_lacks(session, summit):
    made = cite(session, source="summit-2025", entity="programme", entity_id=1,
                confidence="high", quote="  words the source has no excerpt for ", actor=ACTOR)  # fmt: skip
    assert made.quote == "words the source has no excerpt for"
    update_citation(session, citation_id=made.id or 0, quote="other words", actor=ACTOR)
    assert made.quote == "other words"
    update_citation(session, citation_id=made.id or 0, quote="", actor=ACTOR)
    assert made.quote is None


def test_a_quote_of_over_1000_characters_is_refused(summit, refused):
    error = refused(
        InvalidValue,
        lambda s: cite(s, source="summit-2025", entity="programme", entity_id=1,
                       confidence="high", quote="x" * 1001, actor=ACTOR),
    )  # fmt: skip
    assert error.fields == ["quote"]
