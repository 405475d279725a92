"""The staff pages in a real headless Chromium (Debian's package), driven by Playwright.

Runs against the served application, on SQLite and on PostgreSQL. Without a Chromium these tests
skip with a message, except in CI, where that is a failure (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import func
from sqlmodel import Session, select

from registry.audit import Change, ChangeSet
from registry.change_requests import set_review
from registry.database import unit_of_work
from registry.participation import current_participation
from registry.users import add_user
from tests.conftest import IN_CI, dump
from tests.staff import PASSWORDS

CHROMIUM = (
    os.environ.get("REGISTRY_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
# Closed network here: Chromium must not try to reach its own services.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}; `make browser` installs Debian's chromium"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) with a laptop-sized window."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


AXE = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
"""axe-core (MPL-2.0) as the PyPI package axe-playwright-python ships it: no download at test time."""
AXE_RUN = """async () => await axe.run(document, {
    resultTypes: ["violations"],
    rules: Object.fromEntries(axe.getRules().map(rule => [rule.ruleId, {enabled: true}])),
})"""
"""Every rule axe has, the experimental (label-content-name-mismatch) and WCAG AAA ones too."""


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds wrong on the open page, one line per element: rule, impact, element.
    Injected through the DevTools protocol, which the pages' CSP (no script) does not govern."""
    page.evaluate(AXE)
    results: dict[str, Any] = page.evaluate(AXE_RUN)
    assert len(results["passes"]) > 20, "axe checked next to nothing"
    return [
        f"{rule['id']} ({rule['impact']}): {node['html'][:120]}"
        for rule in results["violations"]
        for node in rule["nodes"]
    ]


def sign_in(page: Page, live_server: str, role: str, path: str = "/ui/programmes/mmf") -> None:
    """Open a page while signed out, sign in on the page it sends us to, and land back on it."""
    page.goto(live_server + path)
    assert "/ui/signin" in page.url
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(PASSWORDS[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + path)


def test_an_editor_adds_finland_as_an_observer_then_a_bad_leave_is_refused(
    page, live_server, engine, staff
):
    sign_in(page, live_server, "editor")
    page.get_by_role("link", name="Add a member").click()
    page.get_by_label("Nation").select_option("FIN")
    page.get_by_label("Role").select_option("observer")
    page.get_by_label("Joined").fill("2025-06-01")
    page.get_by_role("button", name="Add member").click()

    page.wait_for_url("**/ui/programmes/mmf?saved=*")
    assert "Saved." in page.get_by_role("status").inner_text()
    finland = page.locator("table.members tr[data-nation=FIN]")
    assert "observer" in finland.inner_text()
    assert "1 June 2025" in finland.inner_text()

    page.get_by_role("link", name="Change log").click()
    newest = page.locator("table.changes tbody tr").first.inner_text()
    assert "mmf/FIN" in newest
    assert "editor" in newest

    before = dump(engine)
    page.goto(f"{live_server}/ui/programmes/mmf")
    page.get_by_role("link", name="record leave of Finland").click()
    page.get_by_label("Left on").fill("2025-01-01")
    page.get_by_role("button", name="Record leave").click()
    message = page.locator("#left-error")
    assert "2025-01-01 is before the nation joined (2025-06-01)" in message.inner_text()
    assert page.get_by_label("Left on").input_value() == "2025-01-01"
    assert page.get_by_label("Left on").get_attribute("aria-invalid") == "true"
    assert "Nothing was saved." in page.get_by_role("alert").inner_text()
    assert dump(engine) == before
    with Session(engine) as session:
        spell, _ = current_participation(session, "mmf", "FIN")
    assert spell.left is None


def test_a_viewer_finds_no_edit_controls_and_a_forged_post_is_refused(
    page, live_server, engine, staff
):
    sign_in(page, live_server, "viewer")
    assert page.locator("table.members tbody tr").count() > 3  # the page did load its members
    for name in ("Add a member", "Add a contract", "Record a fleet event"):
        assert page.get_by_role("link", name=name).count() == 0
    assert page.locator("td.edit").count() == 0
    assert page.locator("form[method=post]").count() == 1  # signing out is the only form
    before = dump(engine)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(
        f"{live_server}/ui/programmes/mmf/members/new",
        form={"csrf_token": token or "", "nation": "FIN", "joined": "2025"},
    )
    assert forged.status == 403
    assert dump(engine) == before


def test_signing_in_and_adding_a_member_work_from_the_keyboard(page, live_server, staff):
    page.goto(f"{live_server}/ui/programmes/mmf")
    page.wait_for_function("document.activeElement.id === 'username'")  # focused on arrival
    page.keyboard.type("editor")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["editor"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/ui/programmes/mmf")
    page.goto(f"{live_server}/ui/programmes/mmf/members/new")
    page.get_by_label("Nation").focus()
    page.keyboard.type("Finland")  # a select jumps to the typed option
    for _ in range(4):  # role, instrument, then the date joined
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "joined":
            break
    page.keyboard.type("2025")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/programmes/mmf?saved=*")
    assert page.locator("table.members tr[data-nation=FIN]").count() == 1


@pytest.mark.one_database
@pytest.mark.parametrize(("width", "height"), [(768, 1024), (1280, 800)])
def test_pages_fit_a_tablet_and_a_laptop_without_sideways_scrolling(
    page, live_server, staff, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, "editor")
    for path in ("/ui/programmes/mmf", "/ui/programmes", "/ui/changes",
                 "/ui/programmes/mmf/contracts/new", "/ui/account", "/ui/sources"):  # fmt: skip
        page.goto(live_server + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"


STAFF_PAGES = [
    "/ui/programmes", "/ui/programmes?q=tanker", "/ui/programmes/mmf",
    "/ui/programmes/mmf?from=2019&to=2025", "/ui/nations", "/ui/nations/NLD", "/ui/changes",
    "/ui/changes?entity=participation&page=2", "/ui/programmes/mmf/members/new",
    "/ui/programmes/mmf/members/NLD/edit", "/ui/programmes/mmf/members/NLD/leave",
    "/ui/programmes/mmf/contracts/new", "/ui/programmes/mmf/fleet/new", "/ui/no-such-page",
    "/ui/organisations/new", "/ui/account/password", "/ui/account", "/ui/organisations",
    "/ui/organisations/nspa/edit", "/ui/sources", "/ui/sources/new",
    "/ui/sources/mmf-flight-hours-2023", "/ui/sources/mmf-flight-hours-2023/edit",
    "/ui/sources/mmf-flight-hours-2023/cite", "/ui/programmes/new", "/ui/programmes/mmf/edit",
]  # fmt: skip
ADMIN_PAGES = ["/ui/admin/users", "/ui/admin/security"]


@pytest.mark.one_database
def test_axe_finds_nothing_wrong_on_any_staff_page(page, live_server, staff):
    """Guards a fixed fault: the members' edit links were named "Record Belgium leaving" while
    they read "record leave" (label-content-name-mismatch, one per member), so a voice-control
    user saying what they see could not follow them."""
    page.goto(f"{live_server}/ui/signin")
    found = {"/ui/signin": axe_violations(page)}
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#password-error").wait_for()  # the refusal has arrived
    found["/ui/signin (refused)"] = axe_violations(page)
    sign_in(page, live_server, "editor")
    # Each row's links say which record they change, beginning with the words they show.
    for name in (
        "change role or share of Netherlands",
        "record leave of Netherlands",
        "Amend contract mmf-order-2016",
        "Correct event: 2 A330 MRTT ordered, July 2016",
    ):
        assert page.get_by_role("link", name=name, exact=True).count() == 1, name
    amend = page.locator("table.contracts a", has_text="Amend").first.get_attribute("href")
    void = page.locator("table.contracts a", has_text="Void").first.get_attribute("href")
    correct = page.locator("table.fleet a").first.get_attribute("href")
    assert amend
    assert void
    assert correct
    for path in [*STAFF_PAGES, amend, void, correct]:
        page.goto(live_server + path)
        found[path] = axe_violations(page)
    page.goto(f"{live_server}/ui/programmes/mmf/members/new")
    page.get_by_role("button", name="Add member").click()  # nothing chosen: refused
    page.locator("#nation-error").wait_for()
    found["/ui/programmes/mmf/members/new (refused)"] = axe_violations(page)
    page.context.clear_cookies()
    sign_in(page, live_server, "admin", ADMIN_PAGES[0])
    for path in ADMIN_PAGES:
        page.goto(live_server + path)
        found[path] = axe_violations(page)
    assert {path: problems for path, problems in found.items() if problems} == {}


REPORTS = [
    "/reports/programmes/mmf?as_of=2025-07-01",
    "/reports/programmes/mmf?as_of=2025-07-01&since=2019-12-31",
    "/reports/nations/NLD?as_of=2025-07-01",
    "/reports/membership?as_of=2025-07-01",
    "/reports/contracts?as_of=2025-07-01",
]


@pytest.mark.one_database
def test_axe_finds_nothing_wrong_on_any_report(page, live_server):
    """Guards fixed faults: the matrix's sources were drawn inside its <body> tag (duplicate ids,
    a list outside any landmark); a chart had no accessible name; the sources' marks on shaded
    rows were too faint for AAA contrast."""
    found = {}
    for path in REPORTS:
        page.goto(live_server + path)
        found[path] = axe_violations(page)
    assert {path: problems for path, problems in found.items() if problems} == {}


def test_an_admin_disables_an_editor_whose_next_click_returns_to_sign_in(
    browser, live_server, staff
):
    contexts = [browser.new_context(viewport={"width": 1366, "height": 768}) for _ in range(2)]
    editor, admin = (context.new_page() for context in contexts)
    try:
        sign_in(editor, live_server, "editor")
        sign_in(admin, live_server, "admin", "/ui/admin/users")
        admin.get_by_role("button", name="Disable editor", exact=True).click()
        admin.wait_for_url(f"{live_server}/ui/admin/users")
        assert "disabled" in admin.locator("table.users tr[data-user=editor]").inner_text().split()
        editor.get_by_role("link", name="Nations").click()
        editor.wait_for_url("**/ui/signin**")
        assert editor.get_by_role("heading", name="Sign in").count() == 1
    finally:
        for context in contexts:
            context.close()


def test_an_editor_corrects_a_contract_value_and_the_report_shows_both_records(
    page, live_server, staff, engine
):
    """The report shows the corrected value; as known before the correction, the old one."""
    with Session(engine) as session:
        before = session.exec(select(func.max(ChangeSet.recorded_at))).one()
    assert before is not None
    slug = "nspa-munitions-frameworks"
    sign_in(page, live_server, "editor", f"/ui/programmes/{slug}")
    page.locator("table.contracts a", has_text="Amend").first.click()
    page.get_by_label("New value").fill("5200000000.00")
    page.get_by_label("What this is").select_option("correction")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/ui/programmes/{slug}?saved=*")
    assert "5,200,000,000" in page.locator("table.contracts").inner_text()
    page.goto(f"{live_server}/reports/programmes/{slug}")
    report = page.locator("main").inner_text()
    assert "5,200,000,000" in report
    assert "4,700,000,000" not in report
    known = before.isoformat().replace("+00:00", "Z")
    page.goto(f"{live_server}/reports/programmes/{slug}?as_known_on={known}")
    old = page.locator("main").inner_text()
    assert "4,700,000,000" in old
    assert "5,200,000,000" not in old


def test_editor_a_proposes_finland_and_editor_b_approves_it(browser, live_server, staff, engine):
    """Where the MMF needs review, an editor's form proposes; another editor finds the request
    in the queue and approves it, and Finland is a member, proposed by one and approved by the
    other. axe checks the queue and the request's page."""
    with unit_of_work(engine) as session:
        set_review(session, "mmf", "required", actor="admin")
        add_user(session, username="ben", role="editor", password="ben password 1234",
                 actor="fixture")  # fmt: skip
    contexts = [browser.new_context(viewport={"width": 1366, "height": 768}) for _ in range(2)]
    anna, ben = (context.new_page() for context in contexts)
    try:
        sign_in(anna, live_server, "editor", "/ui/programmes/mmf/members/new")
        anna.get_by_label("Nation").select_option("FIN")
        anna.get_by_label("Role").select_option("observer")
        anna.get_by_label("Joined").fill("2025-06-01")
        anna.get_by_role("button", name="Propose").click()
        anna.wait_for_url("**/ui/requests/*?proposed=1")
        assert "Proposed." in anna.get_by_role("status").inner_text()

        ben.goto(f"{live_server}/ui/requests")
        ben.get_by_label("Username").fill("ben")
        ben.get_by_label("Password").fill("ben password 1234")
        ben.get_by_role("button", name="Sign in").click()
        ben.wait_for_url(f"{live_server}/ui/requests")
        menu = ben.get_by_role("navigation", name="Main").locator("a[href='/ui/requests']")
        assert " ".join(menu.inner_text().split()) == "Change requests (1 waiting for review )"
        queue_problems = axe_violations(ben)
        ben.locator("table.requests a").first.click()
        assert "observer" in ben.locator("table.diff").inner_text()
        request_problems = axe_violations(ben)
        ben.get_by_role("button", name="Approve and apply").click()
        ben.wait_for_url("**/ui/requests/*")
        assert "Approved by ben" in ben.locator("main").inner_text()

        ben.goto(f"{live_server}/ui/programmes/mmf")
        assert "observer" in ben.locator("table.members tr[data-nation=FIN]").inner_text()
        newest = ben.locator("table.changes tbody tr").first.inner_text()
        assert "mmf/FIN" in newest
        assert "editor" in newest  # proposed by
    finally:
        for context in contexts:
            context.close()
    with Session(engine) as session:
        change = session.exec(select(Change).where(Change.key == "mmf/FIN")).one()
        made = session.get(ChangeSet, change.change_set_id)
    assert made is not None
    assert (change.actor, made.actor, made.change_request_id is not None) == ("editor", "ben", True)
    assert queue_problems == []
    assert request_problems == []
