import pytest
from django.core.management import call_command

from opportunities.models import Listing
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data


@pytest.fixture
def portal(transactional_db, live_server, states):
    ensure_curation_data()
    call_command("load_demo_listings", verbosity=0)
    return live_server.url


def vsfs_url():
    return Listing.objects.get(
        title__startswith="Virtual Student Federal Service"
    ).get_absolute_url()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/opportunities/",
        "/opportunities/?q=climate&kind=city_network",
        "/opportunities/?kind=nonsense",
        "/programs/",
        "/programs/?education_level=undergraduate&us_citizen=yes&age=20",
        "/programs/?age=abc",
        "/events/",
        "/es/opportunities/",
        # Under /es/, texts without Spanish are shown in English, marked (issue #15).
        "/es/",
        "/es/opportunities/?q=programa",
        "/es/programs/",
        "/es/events/",
    ],
)
def test_listing_pages_have_no_accessibility_violations(page, portal, path):
    page.goto(portal + path)
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    assert page.errors == []


def test_detail_page_has_no_accessibility_violations(page, portal):
    page.goto(portal + vsfs_url())
    assert "Virtual Student Federal Service" in page.locator("h1").inner_text()
    assert axe_violations(page) == []
    assert page.errors == []


def test_spanish_detail_page_marks_english_text_and_has_no_violations(page, portal):
    page.goto(portal + "/es" + vsfs_url())
    assert axe_violations(page) == []
    assert page.errors == []
    marked = page.locator('main [lang="en"]')
    if marked.count():  # a text not yet in Spanish is in English, with the note beside it
        assert page.locator("main .only-in-english").first.inner_text() == "Solo en inglés"


def test_filters_update_the_results_in_place_and_in_the_address(page, portal):
    page.goto(portal + "/opportunities/")
    page.evaluate("window.stillTheSamePage = true")
    before = page.locator("#results-heading").inner_text()
    page.locator('label[for="kind-city_network"]').click()  # USWDS styles the label
    page.wait_for_url("**/opportunities/?*kind=city_network*")
    page.wait_for_function(
        "before => document.querySelector('#results-heading').innerText !== before", arg=before
    )
    assert page.evaluate("window.stillTheSamePage") is True  # no full page load
    kinds = page.locator(".usa-collection .usa-tag").all_inner_texts()
    assert kinds and {k.strip().lower() for k in kinds} == {"city network"}
    assert page.get_by_label("City network", exact=False).first.is_checked()


def test_search_and_filters_work_without_javascript(browser, portal):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(portal + "/opportunities/")
    page.get_by_label("Search opportunities").fill("fellowship")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/opportunities/?*q=fellowship*")
    assert page.locator("mark").count() > 0
    page.locator('label[for="kind-fellowship"]').click()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**kind=fellowship*")
    assert "result" in page.locator("#results-heading").inner_text()
    context.close()


def test_a_student_finds_programs_on_a_phone(browser, portal):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(portal + "/programs/")
    page.get_by_label("What are you studying now?").select_option("undergraduate")
    page.get_by_label("Are you a US citizen?").select_option("yes")
    page.get_by_label("How old are you?").fill("20")
    page.get_by_role("button", name="Show my programs").click()
    page.wait_for_url("**/programs/?*education_level=undergraduate*")
    assert "programs you can apply for" in page.locator("#program-results h2").inner_text()
    assert page.get_by_role("link", name="Virtual Student Federal Service (VSFS)").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_calendar_download_from_the_detail_page(page, portal):
    page.goto(portal + vsfs_url())
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    assert download.value.suggested_filename.endswith(".ics")
