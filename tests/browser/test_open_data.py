"""The open data page, the API documentation and the search page's feed links in Chromium."""

import pytest

from opportunities import exports
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory


@pytest.fixture
def portal(transactional_db, live_server, states, settings, tmp_path):
    ensure_curation_data()
    settings.OPEN_DATA_DIR = tmp_path
    ListingFactory(title="Clean water exchange", kind="exchange")
    ListingFactory(title="Climate summit", kind="event")
    exports.write_bulk_downloads()
    return live_server.url


@pytest.mark.parametrize("path", ["/about/data/", "/es/about/data/"])
def test_open_data_page_is_accessible(page, portal, path):
    page.goto(portal + path)
    assert page.locator("h1").inner_text() in ("Open data", "Datos abiertos")
    assert axe_violations(page) == []
    assert page.errors == []


def test_bulk_download_link_downloads_the_csv(page, portal):
    page.goto(portal + "/about/data/")
    with page.expect_download() as download:
        page.get_by_role("link", name="All published listings (CSV)").click()
    assert download.value.suggested_filename == "listings.csv"


def test_api_docs_render_under_the_content_security_policy(page, portal):
    page.goto(portal + "/api/v1/docs/")
    assert page.locator("h1").first.inner_text() == "API documentation"
    # Swagger UI (served from our own static files) has read the schema and listed operations.
    page.locator(".opblock").first.wait_for()
    assert page.get_by_text("/api/v1/listings/", exact=True).first.is_visible()
    assert page.errors == []  # no script errors, no CSP violations
    assert axe_violations(page) == []


def test_search_page_offers_feeds_that_keep_the_filters(page, portal):
    page.goto(portal + "/opportunities/?kind=event")
    link = page.get_by_role("link", name="Subscribe in your calendar")
    assert link.get_attribute("href") == "/opportunities/calendar.ics?kind=event"
    response = page.request.get(portal + page.get_by_role("link", name="RSS").get_attribute("href"))
    assert response.ok and "Climate summit" in response.text()
    assert "Clean water exchange" not in response.text()
