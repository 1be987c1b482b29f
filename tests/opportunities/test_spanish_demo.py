"""The demo content in Spanish (issue #15): the 20 most useful demo listings, every topic and
every regional bureau have real Spanish text once loaded, and none of it is the English copied."""

import json

import pytest
from django.core.management import call_command

from cities.models import Bureau
from opportunities.management.commands.load_demo_listings import DEMO_FILE
from opportunities.models import Listing, Topic
from opportunities.translation import LISTING_FIELDS

pytestmark = pytest.mark.django_db

# The listings a Tucson (Latin-American-facing) city official and students need most.
TRANSLATED = [
    "Cities Summit of the Americas",
    "Sister Cities International Membership",
    "International Visitor Leadership Program (IVLP)",
    "Global Ties U.S. Network",
    "SelectUSA Investment Summit",
    "SelectUSA Services for Economic Development Organizations",
    "State Trade Expansion Program (STEP) Grants",
    "U.S. Commercial Service Trade Missions (including Certified Trade Missions)",
    "USTDA Reverse Trade Missions",
    "Global Covenant of Mayors for Climate & Energy",
    "United Cities and Local Governments (UCLG)",
    "Virtual Student Federal Service (VSFS)",
    "U.S. Department of State Student Internship Program",
    "Fulbright U.S. Student Program",
    "Fulbright Specialist Program",
    "Benjamin A. Gilman International Scholarship",
    "Critical Language Scholarship (CLS) Program",
    "Charles B. Rangel International Affairs Graduate Fellowship",
    "Boren Scholarships",
    "Boren Fellowships",
]


def _english_and_spanish(obj, fields):
    for field in fields:
        english, spanish = getattr(obj, f"{field}_en"), getattr(obj, f"{field}_es")
        if spanish:
            yield field, english, spanish


@pytest.fixture
def loaded(states):
    call_command("load_demo_listings", verbosity=0)


def test_the_demo_file_has_spanish_for_every_text_of_the_twenty(loaded):
    items = {item["title"]: item for item in json.loads(DEMO_FILE.read_text(encoding="utf-8"))}
    for title in TRANSLATED:
        item = items[title]
        for field in LISTING_FIELDS:
            english = item.get(field) or ""
            is_address = "@" in english and " " not in english.strip()  # the same in Spanish
            if english and not is_address:
                assert item.get(f"{field}_es"), (title, field)


def test_the_twenty_listings_are_in_spanish_once_loaded(loaded):
    listings = Listing.objects.filter(title_en__in=TRANSLATED)
    assert listings.count() == len(TRANSLATED)
    for listing in listings:
        assert listing.title_es and listing.summary_es and listing.body_es, listing.title_en
        for field, english, spanish in _english_and_spanish(listing, LISTING_FIELDS):
            assert spanish.strip() != english.strip(), (listing.title_en, field)
        assert "Consulte el sitio web oficial" in listing.body_es


def test_every_topic_and_region_has_its_own_spanish_name(loaded):
    topics, bureaus = list(Topic.objects.all()), list(Bureau.objects.all())
    assert len(topics) >= 15 and len(bureaus) == 6
    for obj in topics + bureaus:
        assert obj.name_es, obj.name_en
        assert obj.name_es != obj.name_en


def test_spanish_is_added_to_listings_loaded_before_without_replacing_an_edit(loaded):
    summit = Listing.objects.get(title_en="SelectUSA Investment Summit")
    gilman = Listing.objects.get(title_en="Benjamin A. Gilman International Scholarship")
    Listing.objects.filter(pk=summit.pk).update(title_es="", summary_es="")
    Listing.objects.filter(pk=gilman.pk).update(title_es="Beca Gilman (revisada)")
    call_command("load_demo_listings", verbosity=0)
    summit.refresh_from_db()
    gilman.refresh_from_db()
    assert summit.title_es == "Cumbre de Inversión SelectUSA"
    assert gilman.title_es == "Beca Gilman (revisada)"
