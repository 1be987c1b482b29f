"""The curation workflow in a real browser, with axe-core on every admin page visited: a
curator drafts and submits with a note; a publisher finds it in the queue, sends it back, then
publishes it; an archiving by mistake is undone; an import is previewed before anything is
created."""

import re

import pytest
from django.contrib.auth.models import Group, User

from opportunities.models import Listing, Status
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory

PASSWORD = "a-long-test-password"


@pytest.fixture
def portal(transactional_db, live_server):
    from cities import reference

    ensure_curation_data()
    reference.load_states()
    reference.load_bureaus_and_countries()
    for name, group in [("curator", "Curator"), ("publisher", "Publisher")]:
        user = User.objects.create_user(name, f"{name}@example.gov", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
    return live_server.url


def sign_in(page, portal, username, next_path="/admin/"):
    page.context.clear_cookies()
    page.goto(f"{portal}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")


def check_page(page, status=200):
    assert page.locator("h1").count() == 1
    # Listing forms name the admin widgets' unnamed parts once they are drawn (admin-a11y.js).
    page.wait_for_function(
        "() => !document.querySelector('script[src*=\"admin-a11y\"]')"
        " || document.documentElement.dataset.adminA11y === 'ready'"
    )
    violations = axe_violations(page)
    assert violations == [], violations
    # Admin pages name no icon (Chromium asks for /favicon.ico); a 400 may be on purpose; the
    # admin's own autocomplete and two-list widgets write style attributes, which the strict
    # policy blocks without harm (the widgets still work, as this test shows).
    allowed = [
        "404 (Not Found)",
        "Applying inline style violates the following Content Security Policy directive",
    ] + ([f"status of {status}"] if status != 200 else [])
    assert [e for e in page.errors if not any(x in e for x in allowed)] == []
    page.errors.clear()


def run_action(page, portal, title, action_label):
    page.goto(f"{portal}/admin/opportunities/listing/")
    row = page.locator("#result_list tr", has_text=title)
    row.locator("input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option(label=action_label)
    page.get_by_role("button", name="Go", exact=True).click()


def test_curator_submits_publisher_sends_back_then_publishes(page, portal):
    sign_in(page, portal, "curator")
    check_page(page)
    page.goto(f"{portal}/admin/opportunities/listing/add/")
    check_page(page)
    page.get_by_label("Title, in English:").fill("Coastal cities resilience exchange")
    page.get_by_label("Kind:").select_option(label="Exchange program")
    page.get_by_label("Summary, in English:").fill(
        "City staff visit coastal peers abroad to share flood plans."
    )
    page.get_by_label("Sponsor:").fill("U.S. Department of State")
    page.locator("#id_topics_from").select_option(label="Climate")
    page.locator("#id_topics_add").click()
    page.get_by_label("How to apply (web address):").fill("https://example.gov/coastal")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/opportunities/listing/")
    check_page(page)

    run_action(page, portal, "Coastal cities resilience exchange", "Submit for review…")
    check_page(page)
    page.get_by_label("Note to the reviewer").fill("New cycle; dates from the sponsor's page.")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/admin/opportunities/listing/")
    assert "1 listing submitted for review." in page.content()
    listing = Listing.objects.get(title="Coastal cities resilience exchange")
    assert listing.status == Status.IN_REVIEW

    sign_in(page, portal, "publisher")
    page.get_by_role("link", name="In review: one listing waits").click()
    page.wait_for_url("**/admin/opportunities/listing/review/")
    check_page(page)
    queue = page.locator("#review-queue")
    assert "curator" in queue.inner_text()
    assert "New cycle; dates from the sponsor's page." in queue.inner_text()
    page.get_by_role("link", name=re.compile(r"^Send back with a note\s*: Coastal cities")).click()
    check_page(page)
    page.get_by_role("button", name="Send back to draft").click()  # no note yet
    check_page(page, status=400)
    assert "Say what should change before sending back." in page.content()
    page.get_by_label("What should change").fill("Add the application deadline.")
    page.get_by_role("button", name="Send back to draft").click()
    page.wait_for_url("**/admin/opportunities/listing/review/")
    assert "Nothing waits for review." in page.content()
    listing.refresh_from_db()
    assert listing.status == Status.DRAFT

    sign_in(page, portal, "curator")
    run_action(page, portal, "Coastal cities resilience exchange", "Submit for review…")
    page.get_by_label("Note to the reviewer").fill("Deadline added.")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/admin/opportunities/listing/")

    sign_in(page, portal, "publisher", "/admin/opportunities/listing/review/")
    check_page(page)
    page.get_by_role("button", name="Publish Coastal cities resilience exchange").click()
    page.wait_for_url("**/admin/opportunities/listing/review/")
    check_page(page)
    listing.refresh_from_db()
    assert listing.status == Status.PUBLISHED
    assert page.goto(portal + listing.get_absolute_url()).status == 200


def test_an_archiving_by_mistake_is_undone(page, portal):
    listing = ListingFactory(title="Sister cities youth summit")
    sign_in(page, portal, "publisher")
    run_action(page, portal, "Sister cities youth summit", "Archive…")
    check_page(page)
    page.get_by_label("Reason for archiving").fill("Event cancelled")
    page.get_by_role("button", name="Yes, archive them").click()
    page.wait_for_url("**/admin/opportunities/listing/")
    listing.refresh_from_db()
    assert listing.status == Status.ARCHIVED

    run_action(page, portal, "Sister cities youth summit", "Restore archived to draft…")
    check_page(page)
    page.get_by_label("Reason for restoring").fill("Archived by mistake")
    page.get_by_role("button", name="Restore to draft").click()
    page.wait_for_url("**/admin/opportunities/listing/")
    check_page(page)
    listing.refresh_from_db()
    assert listing.status == Status.DRAFT and listing.title == "Sister cities youth summit"
    page.goto(f"{portal}/admin/opportunities/listing/{listing.pk}/history/")
    check_page(page)
    assert "Restored to draft: Archived by mistake" in page.content()


def test_an_import_is_previewed_with_its_duplicate_and_creates_nothing_until_confirmed(
    page, portal, tmp_path
):
    ListingFactory(title="Water exchange", apply_url="https://example.gov/water")
    path = tmp_path / "listings.csv"
    path.write_text(
        "title,kind,summary,sponsor,topics,apply_url\n"
        "Water exchange,exchange,Cities share water ideas.,State,climate,https://example.gov/water\n"
        "Democracy grant,funding,Money for civic projects.,State,climate,https://example.gov/grant\n"
    )
    sign_in(page, portal, "curator")
    page.get_by_role("link", name="Import listings from CSV").click()
    check_page(page)
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check and preview").click()
    check_page(page)
    preview = page.locator("#import-preview").inner_text()
    assert "Same address as “Water exchange”." in preview
    assert "skipped" in preview and "created" in preview
    assert not page.get_by_label("Import anyway (line 2)").is_checked()
    assert Listing.objects.count() == 1  # nothing yet

    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_url("**/admin/opportunities/listing/")
    check_page(page)
    assert sorted(Listing.objects.values_list("title", flat=True)) == [
        "Democracy grant",
        "Water exchange",
    ]


def test_the_dashboards_link_to_the_admin_and_back(page, portal):
    sign_in(page, portal, "curator")
    page.get_by_role("link", name="Gaps: places not reached yet").click()
    page.wait_for_url("**/staff/reach/gaps/")
    check_page(page)
    page.get_by_role("link", name="Mark places underserved").click()
    page.wait_for_url("**/staff/reach/underserved/")
    check_page(page)
    page.get_by_role("link", name="Staff admin home").click()
    page.wait_for_url(f"{portal}/admin/")
