import pytest

from cities.models import State
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import PlaceFactory


@pytest.fixture
def portal(transactional_db, live_server, states):
    ensure_curation_data()
    PlaceFactory(name="Denver", slug="denver", population=715_522)
    PlaceFactory(name="Boulder", slug="boulder", population=108_250, latitude=40.01)
    return live_server.url


PAGES = [
    ("/", "Connect your community with the world"),
    ("/states/", "International engagement, state by state"),
    ("/states/co/", "Colorado"),
    ("/states/co/denver/", "Denver, Colorado"),
    ("/about/", "About this portal"),
    ("/opportunities/", "Find opportunities"),
    ("/es/", "Conecte a su comunidad con el mundo"),
    ("/es/states/co/", "Colorado"),
    ("/states/nowhere/", "Page not found"),
]
NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_page_renders_and_has_no_accessibility_violations(page, portal, path, heading):
    page.goto(portal + path)
    assert page.locator("h1").first.inner_text() == heading
    assert axe_violations(page) == []
    # No script errors and no content-security-policy violations (only the expected 404).
    assert [e for e in page.errors if not (heading == "Page not found" and e == NOT_FOUND)] == []


def test_map_states_are_links_to_their_profiles(page, portal):
    page.goto(portal + "/states/")
    page.locator('a.state-map__link[href="/states/co/"]').click()
    page.wait_for_url(portal + "/states/co/")
    assert page.locator("h1").inner_text() == "Colorado"


def test_territory_boxes_link_to_their_profiles(page, portal):
    page.goto(portal + "/states/")
    page.get_by_role("link", name="PR (Puerto Rico: 0 international ties)").click()
    page.wait_for_url(portal + "/states/pr/")
    assert page.locator("h1").inner_text() == "Puerto Rico"


def test_map_is_usable_by_keyboard(page, portal):
    page.goto(portal + "/states/")
    assert page.locator("a.state-map__link").count() == State.objects.count() + 1  # DC boxed too
    for _ in range(30):  # tab past the header to the first state on the map
        page.keyboard.press("Tab")
        label = page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
        if label.startswith("Alabama"):
            break
    assert label == "Alabama: 0 international ties"  # the default map
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Alaska")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(portal + "/states/al/")


def test_table_alternative_sorts_by_places(page, portal):
    page.goto(portal + "/states/")
    page.get_by_role("button", name="Places with a profile", exact=False).first.click()
    first_rows = page.locator("tbody tr th").all_inner_texts()
    page.get_by_role("button", name="Places with a profile", exact=False).first.click()
    after_second_click = page.locator("tbody tr th").all_inner_texts()
    # One order puts Colorado (the only state with places) first, the other last.
    assert "Colorado" in (first_rows[0], after_second_click[0])
    assert "Colorado" in (first_rows[-1], after_second_click[-1])


def test_skip_link_moves_focus_to_the_main_content(page, portal):
    page.goto(portal + "/states/co/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_language_switcher_opens_the_same_page_in_spanish(page, portal):
    page.goto(portal + "/states/co/denver/")
    page.get_by_role("link", name="Español").click()
    page.wait_for_url(portal + "/es/states/co/denver/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Datos clave").is_visible()


def test_state_search_works_without_javascript(browser, portal):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(portal + "/states/co/")
    page.get_by_label("City or county name").fill("boul")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/states/co/?q=boul*")
    listing = page.locator(".place-list").inner_text()
    assert "Boulder" in listing and "Denver" not in listing
    context.close()


def test_city_page_works_on_a_phone(browser, portal):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(portal + "/states/co/denver/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Menu").click()
    assert page.get_by_role("link", name="Find opportunities").first.is_visible()
    assert axe_violations(page) == []
    context.close()
