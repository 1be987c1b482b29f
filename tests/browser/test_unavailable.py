"""The 503 page a visitor sees while the database is away: readable, accessible, in Spanish."""

from tests.browser.conftest import axe_violations
from tests.diplomacy.test_unavailable import refusing_database  # noqa: F401 - a fixture

UNAVAILABLE = "Failed to load resource: the server responded with a status of 503"


def test_the_503_page_has_no_accessibility_violations(page, live_server, refusing_database):  # noqa: F811
    refusing_database.refuse()
    page.goto(live_server.url + "/es/opportunities/")
    assert page.locator("h1").inner_text() == "El portal no está disponible por un momento"
    assert axe_violations(page) == []
    assert [e for e in page.errors if not e.startswith(UNAVAILABLE)] == []
