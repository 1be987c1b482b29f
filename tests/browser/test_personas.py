"""The personas of issue #11, end to end in Chromium, with axe on every page they see."""

import re

import pytest
from django.core.management import call_command

from cities.models import State
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import PlaceFactory


@pytest.fixture
def portal(transactional_db, live_server):
    from cities import reference

    ensure_curation_data()
    reference.load_states()
    reference.load_bureaus_and_countries()
    call_command("load_demo_listings", verbosity=0)
    idaho, arizona = State.objects.get(usps_code="ID"), State.objects.get(usps_code="AZ")
    PlaceFactory(name="Boise", state=idaho, population=235_684, latitude=43.6, longitude=-116.2)
    PlaceFactory(name="Ketchum", state=idaho, population=3_555, latitude=43.7, longitude=-114.4)
    PlaceFactory(name="Tucson", state=arizona, population=542_629, latitude=32.2, longitude=-111)
    return live_server.url


def accessible(page):
    assert axe_violations(page) == []
    assert page.errors == []


def test_boise_staffer_finds_the_city_and_its_opportunities_and_subscribes(page, portal):
    page.goto(portal + "/")
    page.locator("#home-place-q").press_sequentially("Boise", delay=30)
    suggestion = page.locator("#home-place-suggestions").get_by_role("link", name="Boise, Idaho")
    suggestion.wait_for()
    accessible(page)
    suggestion.click()
    page.wait_for_url("**/states/id/boise/")
    assert page.locator("h1").inner_text() == "Boise, Idaho"
    accessible(page)

    page.get_by_role("link", name=re.compile(r"opportunit(y|ies) for Boise")).first.click()
    page.wait_for_url(re.compile(r"/opportunities/\?place=id(/|%2F)boise$"))
    assert "For Boise, Idaho" in page.locator(".place-chip").text_content()
    accessible(page)
    page.locator('label[for="kind-city_network"]').click()
    page.wait_for_url("**kind=city_network*")
    page.locator('label[for="kind-event"]').click()
    page.wait_for_url("**kind=event*")
    page.wait_for_function("document.querySelector('#result-announcement').textContent !== ''")
    assert "result" in page.locator("#result-announcement").text_content()
    assert re.search(r"place=id(/|%2F)boise", page.url)
    # Ticking one kind keeps the others listed, so a second can be ticked.
    assert (
        page.locator("#kind-city_network").is_checked() and page.locator("#kind-event").is_checked()
    )
    assert page.locator("#kind-trade_lead").count() == 1
    accessible(page)

    page.get_by_role("link", name="Get these by email").click()
    page.wait_for_url("**/subscribe/?*")
    assert page.locator("#id_place_name").input_value() == "Boise"
    assert page.locator("#id_state").input_value() == "ID"
    accessible(page)
    page.fill("#id_email", "intl@cityofboise.example")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/subscribe/check-your-email/")
    accessible(page)


def test_undergraduate_finds_gilman_and_keeps_fulbright_with_a_field(page, portal):
    page.goto(portal + "/programs/")
    page.get_by_label("What are you studying now?").select_option("undergraduate")
    page.get_by_role("button", name="Show my programs").click()
    page.wait_for_url("**education_level=undergraduate*")
    results = page.locator("#program-results")
    assert "Benjamin A. Gilman International Scholarship" in results.inner_text()
    assert "Boren Scholarships" in results.inner_text()
    assert "National Security Language Initiative" not in results.inner_text()
    accessible(page)
    page.get_by_label("Field of interest").select_option("climate")
    page.get_by_role("button", name="Show my programs").click()
    page.wait_for_url("**field=climate*")
    assert "Fulbright U.S. Student Program" in page.locator("#program-results").inner_text()
    accessible(page)
    page.get_by_role("link", name="Email me these").click()
    page.wait_for_url("**/subscribe/?*")
    assert page.locator("#id_education_level").input_value() == "undergraduate"
    accessible(page)


def test_tucson_official_types_the_name_with_an_accent(page, portal):
    # A Spanish-speaking official, on the Spanish pages.
    page.goto(portal + "/es/opportunities/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.locator("#header-place-q").press_sequentially("Tucsón", delay=30)
    suggestion = page.locator("#header-place-suggestions").get_by_role(
        "link", name="Tucson, Arizona"
    )
    suggestion.wait_for()
    accessible(page)
    suggestion.click()
    page.wait_for_url("**/es/states/az/tucson/")
    assert page.locator("h1").inner_text() == "Tucson, Arizona"
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("link", name=re.compile(r"oportunidad(es)? para Tucson")).count() >= 1
    accessible(page)


def test_the_finder_works_without_javascript(browser, portal):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(portal + "/")
    page.locator("#home-place-q").fill("ketchum")
    page.locator("#home-place-q").press("Enter")
    page.wait_for_url("**/places/?q=ketchum")
    page.get_by_role("link", name="Ketchum, Idaho").click()
    page.wait_for_url("**/states/id/ketchum/")
    assert page.locator("h1").inner_text() == "Ketchum, Idaho"
    context.close()


@pytest.mark.parametrize("path", ["/places/?q=st.+louis", "/places/?q=idaho", "/states/"])
def test_finder_and_map_pages_are_accessible(page, portal, path):
    page.goto(portal + path)
    assert page.locator("h1").count() == 1
    accessible(page)


def test_on_a_phone_filters_fold_away_and_the_search_button_has_a_name(browser, portal):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(portal + "/opportunities/?place=id%2Fboise")
    toggle = page.get_by_role("button", name="Filters")
    toggle.wait_for()
    assert not page.locator("#search-filters").is_visible()
    assert page.get_by_role("button", name="Search", exact=True).is_visible()
    assert axe_violations(page) == []
    toggle.click()
    assert page.locator("#search-filters").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
