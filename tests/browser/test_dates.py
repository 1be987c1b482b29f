"""A curator types a Guam deadline in the admin; visitors read the same wall time and zone on
the public page, in English and Spanish (#13)."""

from datetime import date, timedelta

from django.contrib.auth.models import User

from opportunities import publishing
from opportunities.models import Listing, Status
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory


def test_guam_deadline_typed_in_the_admin_reads_the_same_on_the_public_page(
    page, transactional_db, live_server
):
    ensure_curation_data()
    listing = ListingFactory(
        title="Guam island resilience grant",
        status=Status.DRAFT,
        published_at=None,
        deadline=None,
        time_zone="Pacific/Guam",
    )
    User.objects.create_superuser("curator", "curator@example.gov", "a-long-passphrase")
    day = date.today().replace(month=4, day=30) + timedelta(days=365)

    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(f"{live_server.url}/admin/opportunities/listing/{listing.pk}/change/")
    page.locator("#id_deadline_0").fill(day.isoformat())
    page.locator("#id_deadline_1").fill("17:00")
    page.locator("#id_deadline_kind").select_option("confirmed")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/opportunities/listing/")

    listing = Listing.objects.get(pk=listing.pk)
    assert listing.deadline.isoformat() == f"{day.isoformat()}T07:00:00+00:00"
    publishing.submit_for_review([listing], None)
    publishing.publish([listing], None)

    page.goto(live_server.url + listing.get_absolute_url())
    deadline = page.locator(".listing-deadline time")
    english_day = f"{day:%B} {day.day}, {day.year}"
    assert deadline.inner_text() == f"Apply by {english_day}, 5:00\u202fPM Chamorro Standard Time"
    assert page.locator("dd", has_text="Guam Time").count() == 1
    # The browser here is not in Guam's zone, so the script adds the visitor's own time.
    assert page.locator(".listing-local-time").count() == 1
    assert axe_violations(page) == []
    # Nothing fails but the browser's guess at /favicon.ico on the admin pages.
    assert all(url.endswith("/favicon.ico") for url in missing)
    assert [error for error in page.errors if "404 (Not Found)" not in error] == []

    page.goto(f"{live_server.url}/es/opportunities/{listing.slug}/")
    text = page.locator(".listing-deadline time").inner_text()
    assert text.startswith("Solicite a más tardar el ")
    assert text.endswith("17:00 hora estándar de Chamorro")
    assert axe_violations(page) == []
    # Nothing fails but the browser's guess at /favicon.ico on the admin pages.
    assert all(url.endswith("/favicon.ico") for url in missing)
    assert [error for error in page.errors if "404 (Not Found)" not in error] == []
