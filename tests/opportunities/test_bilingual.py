"""Listings, topics and regions in English and Spanish: the Spanish shown under /es/, the
English shown honestly (lang="en" and a note) where the Spanish is missing, search in both
languages, the admin's translation work list and the API's language."""

import csv
import io
import json
import re

import pytest
from django.contrib.auth.models import User
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.db import connection
from django.utils import translation

from cities.models import Bureau
from opportunities import importing, publishing
from opportunities.management.commands import load_demo_listings
from opportunities.models import Listing, Topic
from tests.factories import ListingFactory, topic

pytestmark = pytest.mark.django_db

NOTE = "Solo en inglés"


def titles(response):
    return re.findall(
        r'class="usa-collection__heading"><a class="usa-link" href="[^"]+">(.+?)</a>',
        response.content.decode(),
    )


def test_a_spanish_listing_reads_in_spanish_under_es_and_in_english_under_en(client):
    climate = topic("climate")
    climate.name_es = "Clima"
    climate.save()
    listing = ListingFactory(
        title="Sister cities exchange",
        title_es="Intercambio de ciudades hermanas",
        summary="Mayors visit their sister cities.",
        summary_es="Los alcaldes visitan sus ciudades hermanas.",
        body="Apply **online**.",
        body_es="Solicítelo **en línea**.",
        duration="Two weeks",
        duration_es="Dos semanas",
    )
    url = listing.get_absolute_url()
    spanish = client.get(f"/es{url}").content.decode()
    assert '<h1 class="margin-top-1">Intercambio de ciudades hermanas</h1>' in spanish
    assert "Los alcaldes visitan sus ciudades hermanas." in spanish
    assert "<strong>en línea</strong>" in spanish
    assert "<dd>Dos semanas</dd>" in spanish
    assert NOTE not in spanish
    english = client.get(url).content.decode()
    assert "Sister cities exchange" in english and "Intercambio" not in english
    assert "Two weeks" in english and 'lang="en"' not in english.split("<main", 1)[-1]


def test_missing_spanish_is_shown_in_english_marked_as_english(client):
    listing = ListingFactory(
        title="Clean water grant",
        title_es="Subvención para agua limpia",
        summary="Money for clean water.",  # no Spanish summary
        body="Apply online.",
    )
    url = listing.get_absolute_url()
    html = client.get(f"/es{url}").content.decode()
    assert "Subvención para agua limpia" in html
    assert (
        '<p class="usa-intro"><span lang="en">Money for clean water.</span> '
        '<span class="only-in-english' in html
    )
    assert '<div class="usa-prose" lang="en">' in html
    assert html.count(NOTE) >= 2
    # Nothing of this under /en/.
    assert NOTE not in client.get(url).content.decode()


def test_cards_topics_and_regions_use_the_spanish_names(client):
    climate = topic("climate")
    climate.name_es = "Clima"
    climate.save()
    ListingFactory(title="Heat plans", title_es="Planes contra el calor", topics=[climate])
    html = client.get("/es/opportunities/").content.decode()
    assert "Planes contra el calor" in titles(client.get("/es/opportunities/"))
    assert re.search(r"Clima <span class=\"facet-count\">", html)
    region = Bureau.objects.first()
    if region is not None:  # reference data loaded: an untranslated region is marked
        assert f'<span lang="en">{region.name_en}</span>' in html


def test_the_english_title_is_marked_on_a_spanish_card(client):
    ListingFactory(title="Only in English here")
    html = client.get("/es/opportunities/").content.decode()
    assert '<span lang="en">Only in English here</span>' in html
    assert NOTE in html


def test_writing_the_original_name_writes_english_whatever_the_language():
    with translation.override("es"):
        listing = ListingFactory(title="Trade mission", summary="A mission.")
        listing.duration = "Three days"
        listing.title_es = "Misión comercial"
        listing.save()
    listing.refresh_from_db()
    assert (listing.title_en, listing.title_es) == ("Trade mission", "Misión comercial")
    assert listing.duration_en == "Three days" and not listing.duration_es
    # The original column keeps the English, for everything that reads it directly.
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM opportunities_listing WHERE id = %s", [listing.pk])
        assert cursor.fetchone() == ("Trade mission",)
    with translation.override("es"):
        assert listing.title == "Misión comercial"
        assert listing.duration == "Three days"  # falls back to English


def test_history_records_both_languages():
    listing = ListingFactory(title="Fellowship", title_es="Beca")
    listing.title_es = "Beca de estudios"
    listing.save()
    versions = list(listing.history.order_by("history_date"))
    assert (versions[0].title_es, versions[-1].title_es) == ("Beca", "Beca de estudios")
    assert {v.title_en for v in versions} == {"Fellowship"}
    assert {v.title for v in versions} == {"Fellowship"}  # the original column: English


# Search in Spanish.


def test_spanish_search_finds_a_spanish_title(client):
    ListingFactory(title="Sister cities", title_es="Programa de ciudades hermanas")
    ListingFactory(title="Port logistics", title_es="Logística portuaria")
    found = titles(client.get("/es/opportunities/", {"q": "ciudades hermanas"}))
    assert found == ["Programa de ciudades hermanas"]


def test_spanish_search_stems_words(client):
    ListingFactory(title="Water", title_es="Gestión de las aguas", summary_es="Ríos y lagos.")
    ListingFactory(title="Other", title_es="Otra cosa", summary_es="Nada que ver.")
    assert titles(client.get("/es/opportunities/", {"q": "agua"})) == ["Gestión de las aguas"]


def test_spanish_search_ignores_accents_both_ways(client):
    ListingFactory(title="Local economy", title_es="Economía local y comercio")
    ListingFactory(title="Tucson", title_es="Visita a Tucson")
    assert titles(client.get("/es/opportunities/", {"q": "economia"})) == [
        "Economía local y comercio"
    ]
    assert titles(client.get("/es/opportunities/", {"q": "Tucsón"})) == ["Visita a Tucson"]
    assert titles(client.get("/es/opportunities/", {"q": "económ*"})) == [
        "Economía local y comercio"
    ]


def test_spanish_search_finds_untranslated_listings_by_their_english_words(client):
    ListingFactory(title="Fulbright scholarships")
    found = titles(client.get("/es/opportunities/", {"q": "Fulbright"}))
    assert len(found) == 1 and "Fulbright scholarships" in found[0]


def test_english_search_is_unchanged(client):
    ListingFactory(title="Partnerships with cities abroad", title_es="Alianzas con ciudades")
    ListingFactory(title="Something else", summary="Nothing.", title_es="Ciudades")
    assert titles(client.get("/opportunities/", {"q": "city partnership"})) == [
        "Partnerships with cities abroad"
    ]
    # Spanish words are not in the English index.
    assert titles(client.get("/opportunities/", {"q": "alianzas"})) == []


def test_spanish_snippets_highlight_the_spanish_summary(client):
    ListingFactory(title="Water", title_es="Agua", summary_es="Proyectos de agua potable.")
    html = client.get("/es/opportunities/", {"q": "potable"}).content.decode()
    assert "<mark>potable</mark>" in html


# The admin.


@pytest.fixture
def admin_user_client(client):
    client.force_login(User.objects.create_superuser("root", password="a-long-password"))
    return client


def test_admin_shows_both_languages_and_what_lacks_spanish(admin_user_client):
    done = ListingFactory(title="Done", title_es="Hecho", summary_es="Resumen.", body_es="Cuerpo.")
    todo = ListingFactory(title="To translate")
    form = admin_user_client.get(f"/admin/opportunities/listing/{todo.pk}/change/")
    html = form.content.decode()
    assert 'name="title_en"' in html and 'name="title_es"' in html
    assert 'name="summary_en"' in html and 'name="summary_es"' in html
    listing = admin_user_client.get("/admin/opportunities/listing/").content.decode()
    assert "Missing: title, summary, details" in listing
    needs = admin_user_client.get("/admin/opportunities/listing/", {"needs_spanish": "yes"})
    assert [r.pk for r in needs.context["cl"].result_list] == [todo.pk]
    ready = admin_user_client.get("/admin/opportunities/listing/", {"needs_spanish": "no"})
    assert [r.pk for r in ready.context["cl"].result_list] == [done.pk]


def test_admin_saves_the_spanish_beside_the_english(admin_user_client):
    climate = Topic.objects.get(slug="climate")
    response = admin_user_client.post(
        f"/admin/opportunities/topic/{climate.pk}/change/",
        {"name_en": climate.name_en, "name_es": "Clima", "slug": "climate", "is_priority": "on"},
    )
    assert response.status_code == 302
    climate.refresh_from_db()
    assert (climate.name_en, climate.name_es) == ("Climate", "Clima")
    topics = admin_user_client.get("/admin/opportunities/topic/", {"needs_spanish": "yes"})
    assert climate not in topics.context["cl"].result_list


# The API.


def test_api_answers_in_the_language_asked_and_names_the_fallbacks(client):
    ListingFactory(title="Grant", title_es="Subvención", summary="Money.", body="")
    english = client.get("/api/v1/listings/").json()["results"][0]
    assert (english["title"], english["language"], english["fallback_fields"]) == (
        "Grant",
        "en",
        [],
    )
    response = client.get("/api/v1/listings/", {"lang": "es"})
    assert response["Content-Language"] == "es"
    spanish = response.json()["results"][0]
    assert spanish["title"] == "Subvención" and spanish["summary"] == "Money."
    assert spanish["language"] == "es" and spanish["fallback_fields"] == ["summary"]


def test_api_reads_accept_language_and_lang_wins(client):
    listing = ListingFactory(title="Grant", title_es="Subvención")
    url = f"/api/v1/listings/{listing.slug}/"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="es").json()["title"] == "Subvención"
    response = client.get(url, {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.json()["title"] == "Grant" and response["Content-Language"] == "en"


def test_api_search_in_spanish(client):
    ListingFactory(title="Waters", title_es="Las aguas del río")
    ListingFactory(title="Other", title_es="Otra")
    results = client.get("/api/v1/listings/", {"lang": "es", "q": "agua"}).json()["results"]
    assert [r["title"] for r in results] == ["Las aguas del río"]


@pytest.mark.parametrize("value", ["fr", "", "ES-x", "es&"])
def test_api_refuses_an_unknown_language_with_a_400(client, value):
    response = client.get("/api/v1/listings/", {"lang": value})
    assert response.status_code == 400
    assert "lang" in response.json()["errors"]


# Write paths: the CSV import and the demo content.


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


ROW = {
    "title": "Clean water exchange",
    "kind": "exchange",
    "summary": "City water staff visit peers.",
    "sponsor": "U.S. Department of State",
    "topics": "climate",
    "regions": "global",
    "apply_url": "https://example.gov/water",
}


def test_csv_import_takes_optional_spanish_columns_even_from_a_spanish_page():
    rows, problems = importing.read_csv(
        _csv([{**ROW, "title_es": "Intercambio sobre agua limpia", "summary_es": "Visitas."}])
    )
    assert not problems
    with translation.override("es"):
        report = importing.import_rows(rows)
    assert report.ok, report.problems
    listing = report.created[0]
    listing.refresh_from_db()
    assert (listing.title_en, listing.title_es) == (ROW["title"], "Intercambio sobre agua limpia")
    assert listing.summary_en == ROW["summary"] and listing.summary_es == "Visitas."
    assert listing.body_es is None
    # Updating the draft with an English-only row keeps its Spanish.
    rows, _ = importing.read_csv(_csv([{**ROW, "slug": listing.slug, "summary": "New words."}]))
    with translation.override("es"):
        assert importing.import_rows(rows).ok
    listing.refresh_from_db()
    assert listing.summary_en == "New words." and listing.summary_es == "Visitas."
    with connection.cursor() as cursor:
        cursor.execute("SELECT summary FROM opportunities_listing WHERE id = %s", [listing.pk])
        assert cursor.fetchone() == ("New words.",)
    assert listing.title_es == "Intercambio sobre agua limpia"


def test_demo_loader_adds_spanish_to_listings_loaded_before(tmp_path, monkeypatch):
    demo = tmp_path / "listings.json"
    demo.write_text(json.dumps([ROW]))
    monkeypatch.setattr(load_demo_listings, "DEMO_FILE", demo)
    call_command("load_demo_listings", verbosity=0)
    listing = Listing.objects.get(slug="clean-water-exchange")
    assert listing.title_es is None
    demo.write_text(json.dumps([{**ROW, "title_es": "Intercambio sobre agua limpia"}]))
    call_command("load_demo_listings", verbosity=0)
    listing.refresh_from_db()
    assert listing.title_es == "Intercambio sobre agua limpia"
    assert listing.title_en == ROW["title"]


def _stored_title(listing) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM opportunities_listing WHERE id = %s", [listing.pk])
        return cursor.fetchone()[0]


def test_a_proposed_change_carries_both_languages_and_keeps_the_original_column_english():
    editor = User.objects.create_superuser("editor", password="a-long-password")
    live = ListingFactory(title="Heat plans", title_es="Planes contra el calor")
    with translation.override("es"):  # staff working in Spanish
        draft = publishing.propose_revision(live, editor)
        draft.title = "Heat action plans"
        draft.title_es = "Planes de acción contra el calor"
        draft.save()
        publishing.submit_for_review([draft], editor)
        publishing.publish([Listing.objects.get(pk=draft.pk)], editor)
    live.refresh_from_db()
    assert (live.title_en, live.title_es) == (
        "Heat action plans",
        "Planes de acción contra el calor",
    )
    assert _stored_title(live) == "Heat action plans"
    assert live.history.latest().title == "Heat action plans"


def test_an_email_address_to_apply_needs_no_translation(client):
    listing = ListingFactory(
        title="Grant",
        title_es="Subvención",
        summary_es="Resumen.",
        apply_contact="grants@state.gov",
    )
    url = listing.get_absolute_url()
    html = client.get(f"/es{url}").content.decode()
    assert 'href="mailto:grants@state.gov"' in html
    assert '<span lang="en"><a href="mailto:grants@state.gov"' not in html
    response = client.get(f"/api/v1/listings/{listing.slug}/", {"lang": "es"})
    assert "apply_contact" not in response.json()["fallback_fields"]


def test_bulk_copy_of_new_listings_writes_the_english_columns_and_history():
    from django.utils import timezone

    from opportunities.sources import bulk

    listing = Listing(
        title="Imported grant",
        slug="imported-grant",
        kind="funding",
        summary="From a public source.",
        sponsor="Agency",
        apply_url="https://example.gov/imported",
    )
    listing._change_reason = "Imported"
    with translation.override("es"):  # whatever language the import runs in
        bulk.insert_listings([listing], {"topics": [[topic("climate").pk]]}, timezone.now())
    stored = Listing.objects.get(slug="imported-grant")
    assert (stored.title_en, stored.summary_en, stored.title_es) == (
        "Imported grant",
        "From a public source.",
        None,
    )
    assert _stored_title(stored) == "Imported grant"
    assert stored.history.get().title_en == "Imported grant"
    # The Spanish vector indexes the English text while there is no Spanish.
    spanish = SearchQuery("grant", config="spanish")
    assert Listing.objects.filter(search_vector_es=spanish, slug="imported-grant").exists()
