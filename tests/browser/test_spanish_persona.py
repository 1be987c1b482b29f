"""Issue #15's Tucson official, in Spanish from start to end, in Chromium with axe on every page:
types "Tucsón", reads a listing in Spanish, adds it to a calendar, subscribes, and receives the
confirmation and then the digest in Spanish from a real SMTP server and a real Celery worker."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from icalendar import Calendar

from cities.models import State
from opportunities import tasks
from opportunities.models import Subscription, SubscriptionStatus
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory, PlaceFactory, topic

SUMMIT = "Cumbre de Inversión SelectUSA"


@pytest.fixture
def portal(transactional_db, live_server, settings, monkeypatch):
    from cities import reference

    ensure_curation_data()
    reference.load_states()
    reference.load_bureaus_and_countries()
    call_command("load_demo_listings", verbosity=0)
    arizona = State.objects.get(usps_code="AZ")
    PlaceFactory(name="Tucson", state=arizona, population=542_629, latitude=32.2, longitude=-111)
    # The links in the emails lead back to this server (the worker, started later, inherits it).
    settings.SITE_URL = live_server.url
    monkeypatch.setenv("SITE_URL", live_server.url)
    return live_server.url


def accessible(page):
    assert axe_violations(page) == []
    assert page.errors == []


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_tucson_official_reads_adds_to_calendar_and_subscribes_in_spanish(
    page, portal, mailbox, celery_worker
):
    page.goto(portal + "/es/")
    page.locator("#home-place-q").press_sequentially("Tucsón", delay=30)
    suggestion = page.locator("#home-place-suggestions").get_by_role("link", name="Tucson, Arizona")
    suggestion.wait_for()
    accessible(page)
    suggestion.click()
    page.wait_for_url("**/es/states/az/tucson/")
    assert page.locator("h1").inner_text() == "Tucson, Arizona"
    accessible(page)

    # Tucson's opportunities, then the investment summit, read in Spanish.
    page.get_by_role("link", name=re.compile(r"oportunidades? para Tucson")).first.click()
    page.wait_for_url(re.compile(r"/es/opportunities/\?place=az(/|%2F)tucson$"))
    page.fill("#id_q", "cumbre de inversión")  # searched in Spanish
    page.locator("#id_q").press("Enter")
    page.wait_for_url("**q=cumbre*")
    page.get_by_role("link", name=SUMMIT).first.click()
    page.wait_for_url("**/es/opportunities/selectusa-investment-summit/")
    assert page.locator("h1").inner_text() == SUMMIT
    assert "El mayor evento de los Estados Unidos para atraer inversión" in page.content()
    assert "4 días" in page.locator("main").inner_text()
    accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Agregar al calendario (.ics)").click()
    calendar = Calendar.from_ical(download_info.value.path().read_bytes())
    [deadline] = calendar.walk("VEVENT")  # a yearly summit: its expected deadline
    assert str(deadline["summary"]) == f"Fecha límite prevista: {SUMMIT}"
    description = str(deadline["description"])
    assert "El mayor evento de los Estados Unidos para atraer inversión" in description
    assert "En el Portal de Diplomacia Subnacional: " in description

    # Subscribe for Tucson, from Tucson's opportunities.
    page.go_back()
    page.goto(portal + "/es/opportunities/?place=az/tucson")
    page.get_by_role("link", name="Recibir estos por correo electrónico").click()
    page.wait_for_url("**/es/subscribe/?*")
    assert page.locator("#id_place_name").input_value() == "Tucson"
    accessible(page)
    page.fill("#id_email", "asuntos.internacionales@tucsonaz.example")
    page.get_by_role("button", name="Suscribirse").click()
    page.wait_for_url("**/es/subscribe/check-your-email/")
    accessible(page)

    [confirmation] = mailbox.wait_for(1)
    assert confirmation["Subject"] == "Confirme su suscripción"
    [url] = re.findall(r"https?://\S+/es/subscribe/confirm/\S+", text_of(confirmation))
    page.goto(portal + urlsplit(url).path)
    accessible(page)
    page.get_by_role("button", name="Confirmar mi suscripción").click()
    page.wait_for_url("**/es/subscribe/manage/**")
    accessible(page)
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.CONFIRMED
    assert (subscription.language, subscription.place.name) == ("es", "Tucson")

    # Staff publish two new listings, one with its Spanish; the weekly digest, built and sent
    # by the Celery worker, brings both.
    ListingFactory(
        title="Border trade partnership grants",
        title_es="Subvenciones para alianzas de comercio fronterizo",
        summary="Money for cities that build trade ties across the border.",
        summary_es="Fondos para ciudades que crean lazos comerciales a través de la frontera.",
        topics=[topic("trade-and-investment")],
    )
    ListingFactory(title="Water reuse exchange", topics=[topic("water-and-sanitation")])
    mailbox.clear()
    tasks.send_digests.delay(subscription.frequency)
    [digest] = mailbox.wait_for(1, timeout=60)
    body = text_of(digest).replace("\r\n", "\n")
    assert digest["To"] == "asuntos.internacionales@tucsonaz.example"
    assert digest["Subject"] == "Nuevas oportunidades para usted: 2 nuevas, 0 cierran pronto"
    assert "* Subvenciones para alianzas de comercio fronterizo\n" in body
    assert "Fondos para ciudades que crean lazos comerciales" in body
    assert "* Water reuse exchange (Solo en inglés)" in body
    assert "Coincide: abierto a Tucson" in body or "abierto a Tucson" in body
    links = re.findall(rf"{re.escape(portal)}(/\S*)", body)
    assert links and all(link.startswith("/es/") for link in links)
    html = digest.get_body(("html",)).get_content()
    assert '<html lang="es">' in html
    assert '<span lang="en">Water reuse exchange</span>' in html
