"""The reports on the registry's data: HTML parsed, PDF read back, same data same bytes."""

import io
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from registry.cli import main
from registry.database import unit_of_work
from registry.programmes import create_programme
from reports import documents
from reports.build import write_reports
from reports.frames import load_frames


class Page(HTMLParser):
    """Tags and text of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [value for name, value in attrs if name == "href" and value]

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def report(engine, slug="mmf", on=date(2019, 12, 31), at=None):
    frames = load_frames(engine)
    return documents.programme_report(frames, slug, documents.stamp(frames, on, at))


def test_programme_report_shows_members_on_the_date_with_sources(engine, seeded):
    page = Page(report(engine))
    assert "thead" in page.tags
    assert "script" not in page.tags
    assert "As of 31 December 2019" in page.words
    for name in ("Netherlands", "Luxembourg", "Germany", "Norway", "Belgium", "Czechia"):
        assert name in page.words
    assert "Denmark (DNK)" not in page.words  # joined in 2025
    assert "Launched 2012" in page.words
    assert "November 2014" in page.words  # the precision it is known to
    assert "svg" in page.tags  # membership timeline and fleet chart, inline
    # The MMF's shares hold from 2023: each shows beside its source's low confidence.
    later = Page(report(engine, on=date(2024, 1, 1))).words
    netherlands = r"Netherlands \(NLD\) lead agreement November 2014 — 20\.20 % \[\d+\] low"
    assert re.search(netherlands, later), later


def test_the_members_notes_say_where_a_share_comes_from_and_why_none_is_known(engine, seeded):
    in_2024 = Page(report(engine, on=date(2024, 1, 1))).words
    assert "Luxembourg: Cost share from 2023: 1,200 of the 9,900 committed flight hours" in in_2024
    now = Page(report(engine, on=date(2026, 1, 1))).words
    unknown = "Share unknown from 24 June 2025"
    assert now.count(unknown) == 1, now  # one note for the eight members it holds for
    eight = "Luxembourg, Netherlands, Germany, Norway, Belgium, Czechia, Denmark, Sweden"
    assert f"{eight}: {unknown}" in now
    before = Page(report(engine, on=date(2022, 1, 1))).words
    assert "Cost share from" not in before
    assert unknown not in before


def test_fleet_and_contract_totals_in_the_programme_report(engine, seeded):
    words = Page(report(engine, on=date(2025, 6, 24))).words
    assert "12 ordered, 9 in service, 3 on order" in words
    assert "EUR 265,000,000.00" in words


def test_a_programme_named_like_a_script_prints_as_text(engine, nations):
    with unit_of_work(engine) as session:
        create_programme(session, slug="x", name="<script>alert(1)</script>",
                         category="innovation", actor="tester")  # fmt: skip
    html = report(engine, slug="x", on=date(2026, 1, 1))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_same_data_and_date_give_the_same_bytes(engine, seeded):
    first = report(engine, at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    second = report(engine, at=datetime(2026, 2, 2, 10, 30, tzinfo=UTC))
    differ = [a for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b]
    assert len(differ) == 1
    assert "Generated" in differ[0]


def test_the_fingerprint_changes_with_the_data(engine, seeded):
    before = load_frames(engine).fingerprint()
    with unit_of_work(engine) as session:
        create_programme(session, slug="new", name="New", category="innovation", actor="tester")
    assert load_frames(engine).fingerprint() != before


def test_nation_membership_and_contracts_reports(engine, seeded):
    frames = load_frames(engine)
    stamp = documents.stamp(frames, date(2025, 7, 1))
    nation = Page(documents.nation_report(frames, "NLD", stamp)).words
    for name in ("Multinational Multi Role Tanker Transport Fleet", "NATO Innovation Ranges",
                 "Defence Critical Raw Materials Stockpiling"):  # fmt: skip
        assert name in nation
    matrix = documents.membership_report(frames, stamp)
    assert 'class="landscape"' in matrix
    assert "Sweden (SWE)" in Page(matrix).words
    summary = Page(documents.contracts_report(frames, stamp)).words
    assert "EUR 4,700,000,000.00" in summary
    assert "Airbus Defence and Space" in summary


def test_cli_writes_a_static_folder_with_an_index(engine, seeded, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        main, ["report", "all", "--as-of", "2025-07-01", "--out", str(tmp_path)],
        env={"REGISTRY_DATABASE_URL": url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    links = Page((tmp_path / "index.html").read_text()).links
    assert "programmes/mmf.html" in links
    assert "membership.html" in links
    assert "nations/NLD.html" in links
    assert all((tmp_path / link).exists() for link in links)


@pytest.mark.parametrize(
    ("path", "printed", "not_printed"),
    [
        ("/reports/programmes/mmf", "multinational fleet", "multinational-fleet"),
        ("/reports/nations/nl", "letter of intent", "letter_of_intent"),
        ("/reports/membership", "Key to the columns", "critical-raw-materials"),
        ("/reports/contracts", "By awarding agency", "value_minor"),
    ],
)
def test_the_api_serves_reports_as_html_and_pdf(client, seeded, path, printed, not_printed):
    html = client.get(path, params={"as_of": "2025-07-01"})
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "As of 1 July 2025" in Page(html.text).words
    pdf = client.get(path, params={"as_of": "2025-07-01", "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) >= 1
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert re.search(r"Page 1 of \d+", text)
    assert printed in text  # the labels people read, extracted from the PDF
    assert not_printed not in text


def test_unknown_reports_are_404(client, seeded):
    assert client.get("/reports/programmes/nope").status_code == 404
    assert client.get("/reports/nations/Atlantis").status_code == 404


def test_many_reports_drawn_by_worker_processes_match_one_process(
    engine, seeded, tmp_path, monkeypatch
):
    from reports import build

    on = date(2025, 7, 1)
    alone = build.write_reports(engine, "all", tmp_path / "alone", as_of=on, workers=1)
    monkeypatch.setattr(build, "PARALLEL_FROM", 1)  # the seed is small: use workers anyway
    shared = build.write_reports(engine, "all", tmp_path / "shared", as_of=on, workers=2)
    assert [p.relative_to(tmp_path / "shared") for p in shared] == [
        p.relative_to(tmp_path / "alone") for p in alone
    ]
    for one, other in zip(alone, shared, strict=True):
        assert without_generated(one) == without_generated(other), one.name


def without_generated(path):
    return [line for line in path.read_text().splitlines() if "Generated" not in line]


def test_every_report_renders_on_a_registry_without_programmes(engine, nations, tmp_path):
    """Guards a fixed bug: the matrix failed with no programme at all (before `registry seed`)."""
    written = write_reports(engine, "all", tmp_path, as_of=date(2025, 1, 1), workers=1)
    assert [p.name for p in written] == ["index.html", "contracts.html", "membership.html"]
    words = Page((tmp_path / "membership.html").read_text()).words
    assert "Member nations 0" in words  # the totals row, under no programme column
    assert "Albania (ALB) 0" in words  # every nation has its row


def test_codes_read_as_people_read_them(engine, seeded):
    """Instruments, categories and roles print as words, not as stored codes."""
    from registry.choices import label

    assert [label(c) for c in ("letter_of_intent", "mou", "multinational-fleet", None)] == [
        "letter of intent", "MoU", "multinational fleet", "—",
    ]  # fmt: skip
    frames = load_frames(engine)
    nation = Page(documents.nation_report(frames, "NLD", documents.stamp(frames, date(2025, 7, 1))))
    assert "letter of intent" in nation.words
    assert "letter_of_intent" not in nation.words
    programme = Page(report(engine, on=date(2025, 7, 1))).words
    assert "multinational fleet" in programme
    assert "multinational-fleet" not in programme


def test_the_totals_say_how_many_contracts_have_a_value(engine, seeded):
    words = Page(report(engine, on=date(2025, 7, 1))).words
    assert "Total in EUR (1 contract) EUR 265,000,000.00" in words
    assert "5 of 6 contracts have no published value; the totals leave them out." in words
    assert "Membership over time" in words  # the timeline has its own heading


def test_every_report_lists_the_sources_of_what_it_shows(engine, seeded):
    frames = load_frames(engine)
    stamp = documents.stamp(frames, date(2025, 7, 1))
    nation = Page(documents.nation_report(frames, "DNK", stamp)).words
    assert "Sources" in nation
    assert "membership of Multinational Multi Role Tanker Transport Fleet" in nation
    matrix = Page(documents.membership_report(frames, stamp)).words
    assert "Denmark: membership of Multinational Multi Role Tanker Transport Fleet" in matrix
    summary = Page(documents.contracts_report(frames, stamp)).words
    assert "Sources" in summary
    assert "contract Two additional A330 MRTT" in summary


def test_an_instrument_in_the_report_names_its_source(engine, seeded):
    page = Page(report(engine, on=date(2026, 1, 1))).words
    assert re.search(r"Finland is not reported as joining\. \[\d+\] medium", page), page
    assert "instrument Nordic letter of intent on the MMF" in page  # in the sources list
