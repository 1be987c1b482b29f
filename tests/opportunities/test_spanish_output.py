"""Everything the portal generates speaks the reader's language (issue #15): calendars, feeds,
the CSV's data dictionary, emails and digests, durations and time zone names, in Spanish for a
Spanish reader."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import feedparser
import pytest
from django.utils import timezone
from icalendar import Calendar

from opportunities import digests, importing
from opportunities.models import Listing, Subscription
from tests.factories import ListingFactory, SubscriptionFactory, topic

pytestmark = pytest.mark.django_db


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_spanish_digest_links_only_to_spanish_pages(states, settings):
    settings.SITE_URL = "https://portal.example.gov"
    ana = SubscriptionFactory(confirmed=True, language="es", topics=["climate"])
    ListingFactory(title="Climate grant", topics=[topic("climate")])
    # Built outside any request, as the Celery worker builds it (English active).
    message = digests.digest_message(digests.next_digest(ana))
    links = re.findall(r"https://portal\.example\.gov(/\S*)", message.body)
    assert len(links) >= 4  # the listing, not interested, manage, unsubscribe
    assert all(link.startswith("/es/") for link in links), links
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<https://portal.example.gov/es/subscribe/unsubscribe/"
    )


def test_the_confirmation_email_of_a_spanish_subscriber_is_spanish(client, states, mailbox):
    client.post(
        "/es/subscribe/",
        {"email": "ana@tucsonaz.gov", "role": "local_government", "frequency": "weekly"},
    )
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Confirme su suscripción"
    body = text_of(message)
    assert "/es/subscribe/confirm/" in body
    assert "abra este enlace y confirme" in body
    assert '<html lang="es">' in message.get_body(("html",)).get_content()
    assert Subscription.objects.get().language == "es"


def test_the_manage_email_of_a_spanish_subscriber_is_spanish(client, states, mailbox):
    SubscriptionFactory(confirmed=True, language="es", email="ana@tucsonaz.gov")
    client.post("/subscribe/", {"email": "ana@tucsonaz.gov", "role": "local_government",
                                "frequency": "weekly"})  # fmt: skip
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Su suscripción por correo electrónico"
    body = text_of(message)
    assert "(frecuencia: semanal)" in body
    assert "/es/subscribe/manage/" in body


def test_feeds_under_es_are_spanish(client):
    zone_deadline = datetime(2031, 3, 5, 0, 0, tzinfo=UTC)
    ListingFactory(title="Grant", deadline=zone_deadline, time_zone="America/Phoenix")
    feed = feedparser.parse(client.get("/es/opportunities/feed.rss").content)
    assert feed.feed.title == "Nuevas oportunidades"
    assert feed.feed.language == "es"
    assert "Solicite a más tardar el 4 de marzo de 2031" in feed.entries[0].description
    atom = feedparser.parse(client.get("/es/opportunities/feed.atom", {"q": "grant"}).content)
    assert atom.feed.title == "Oportunidades: grant"


def test_the_csv_keeps_its_columns_and_the_spanish_data_page_explains_them(client):
    ListingFactory(title="Grant", title_es="Subvención")
    response = client.get("/es/opportunities/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == importing.EXPORT_COLUMNS  # the same names in every language
    assert (rows[0]["title"], rows[0]["title_es"]) == ("Grant", "Subvención")
    html = client.get("/es/about/data/").content.decode()
    assert "<code>title</code></th><td>Nombre de la oportunidad (obligatorio).</td>" in html
    assert "<code>title_es</code></th><td>Opcional: el nombre en español.</td>" in html


def test_a_csv_exported_from_spanish_pages_imports_again_in_both_languages(client):
    ListingFactory(title="Grant", title_es="Subvención", summary_es="Fondos para ciudades.")
    response = client.get("/es/opportunities/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    Listing.objects.all().delete()
    report = importing.import_rows([{**row, "apply_url": "https://example.gov/x"} for row in rows])
    assert report.ok, report.problems
    imported = Listing.objects.get()
    assert (imported.title_en, imported.title_es) == ("Grant", "Subvención")
    assert imported.summary_es == "Fondos para ciudades."


def test_time_zones_and_days_left_are_spanish(client):
    listing = ListingFactory(
        deadline=timezone.now() + timedelta(days=4, hours=6), time_zone="America/Denver"
    )
    html = client.get(f"/es/opportunities/{listing.slug}/").content.decode()
    assert "<dt>Zona horaria</dt><dd>hora de la montaña</dd>" in html
    assert "quedan 4 días" in html.lower()


@pytest.fixture
def summit():
    """A listing with its Spanish texts, and one without (shown in English, marked so)."""
    zone = ZoneInfo("America/New_York")
    ListingFactory(title="English only grant", topics=[topic("climate")])
    return ListingFactory(
        title="SelectUSA Investment Summit",
        title_es="Cumbre de Inversión SelectUSA",
        summary="The largest U.S. event for attracting foreign investment.",
        summary_es="El mayor evento de los Estados Unidos para atraer inversión extranjera.",
        duration="4 days",
        duration_es="4 días",
        kind="event",
        starts_at=datetime(2031, 5, 4, tzinfo=zone),
        ends_at=datetime(2031, 5, 7, 23, 59, 59, 999999, tzinfo=zone),
        deadline=datetime(2031, 4, 1, 17, tzinfo=zone),
        time_zone="America/New_York",
        topics=[topic("trade-and-investment")],
    )


def test_a_listings_calendar_is_in_spanish_with_its_spanish_texts(client, summit):
    calendar = Calendar.from_ical(
        client.get(f"/es/opportunities/{summit.slug}/calendar.ics").content
    )
    event, deadline = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Cumbre de Inversión SelectUSA"
    assert str(deadline["summary"]) == "Fecha límite: Cumbre de Inversión SelectUSA"
    description = str(deadline["description"])
    assert (
        "Solicite a más tardar el 1 de abril de 2031, 17:00 hora de verano oriental" in description
    )
    assert "El mayor evento de los Estados Unidos para atraer inversión extranjera." in description
    assert "Cómo solicitar:" in description
    english = Calendar.from_ical(client.get(f"/opportunities/{summit.slug}/calendar.ics").content)
    assert str(english.walk("VEVENT")[1]["summary"]) == "Deadline: SelectUSA Investment Summit"


def test_feed_items_carry_the_spanish_texts_under_es(client, summit):
    feed = feedparser.parse(client.get("/es/opportunities/feed.rss").content)
    titles = [entry.title for entry in feed.entries]
    assert "Cumbre de Inversión SelectUSA" in titles
    assert "English only grant" in titles  # nothing machine-translated
    entry = feed.entries[titles.index("Cumbre de Inversión SelectUSA")]
    assert entry.description.startswith("El mayor evento de los Estados Unidos")
    assert {tag.term for tag in entry.tags} == {"Comercio e inversión"}


def test_the_page_gives_the_spanish_duration(client, summit):
    html = client.get(f"/es/opportunities/{summit.slug}/").content.decode()
    assert "<dt>Duración</dt><dd>4 días</dd>" in html


def test_a_spanish_digest_reads_the_spanish_texts_and_marks_the_english(states):
    ana = SubscriptionFactory(
        confirmed=True, language="es", topics=["climate", "trade-and-investment"]
    )
    summit_es = "Cumbre de Inversión SelectUSA"
    ListingFactory(title="SelectUSA Investment Summit", title_es=summit_es,
                   topics=[topic("trade-and-investment")])  # fmt: skip
    ListingFactory(title="English only grant", topics=[topic("climate")])
    message = digests.digest_message(digests.next_digest(ana))
    assert f"* {summit_es}\n" in message.body
    assert "* English only grant (Solo en inglés)" in message.body
    assert "Coincide con sus temas: Comercio e inversión." in message.body
    assert "Coincide con sus temas: Clima." in message.body
    html = message.alternatives[0][0]
    assert '<span lang="en">English only grant</span>' in html
