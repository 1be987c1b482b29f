"""Every public page under /es/ speaks Spanish (issue #15): a crawl of every public page the URL
resolver knows, filled with real objects (a state, a city with its ties, a county, the demo
listings, a local solution), fails on English interface text outside `lang="en"` elements and on
any number in markup written with a decimal comma (SVG attributes, data attributes, styles).
A second crawl, signed in as staff, does the same for the staff pages outside the admin
(/es/staff/ and the listing preview), and also fails on the English name of a topic or region
that has a Spanish one."""

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.utils import translation

from cities import solutions
from cities.models import (
    Bureau,
    Country,
    Delegation,
    LocalSolution,
    NetworkMembership,
    Place,
    PriorityRanking,
    PriorityResponse,
    SisterCity,
    SolutionStatus,
    State,
)
from opportunities.models import Listing, ListingViews, Status, Topic
from tests.diplomacy.test_bad_input import every_route
from tests.factories import ListingFactory, PlaceFactory

pytestmark = pytest.mark.django_db

# Words that are English and never Spanish: one of them in a text node read in Spanish is
# English interface text (or content shown without its lang="en").
ENGLISH_WORDS = frozenset(
    re.findall(
        r"\w+",
        """the and of with your you is are this that from by our we will has have been which who
    what how when where not its it an at on or for to in apply deadline days day more view read
    all new open closed search next previous results result page about share subscribe online
    submit send back here free yes only city cities county counties state states place places
    topic topics region regions kind kinds program programs event events email any none
    opportunity opportunities listing listings learn find see help""",
    )
)
# Proper names that keep their English form in Spanish text (programs, agencies, networks,
# organizations): removed before looking for English words.
PROPER_NAMES = [
    "Virtual Student Federal Service",
    "American Councils for International Education",
    "Young Artists and Authors Showcase",
    "Compact of Mayors",
    "Climate Mayors",
    "Sister Cities International",
    "Global Ties U.S.",
    "Global Ties",
    "World Learning",
    "Trade Winds",
    "National Harbor",
    "Subnational Diplomacy Portal",
]
COUNTY_NAME = re.compile(r"\b[A-Z]\w+ County\b")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+")
VALUE_LIST = re.compile(r"\b[a-z_]+(?:[;,] ?[a-z_]+){2,}")
ONLY_IN_ENGLISH = "(Solo en inglés)"
# Elements whose text is not read as prose (code samples are parameter names).
NOT_PROSE = {"script", "style", "code", "pre", "template"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
READ_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
DECIMAL_COMMA = re.compile(r"\d,\d")
# In path data and point lists a comma separates x from y ("L651.8,491.5"); a decimal comma
# there makes three numbers run together ("L651,8,491,5").
DECIMAL_COMMA_IN_PAIRS = re.compile(r"\d+,\d+,\d")
PAIR_ATTRIBUTES = {"d", "points"}
# Public pages only: the staff pages and the preview have a crawl of their own, signed in (below);
# the admin is Django's, translated by Django and by our admin labels.
NOT_PUBLIC = ("/es/admin/", "/es/staff/", "/es/opportunities/preview/")
FILES = re.compile(r"\.(ics|csv|json|rss|atom)$")  # not pages: their language is tested apart


class PageReader(HTMLParser):
    """Text a Spanish reader hears as Spanish (outside any lang="en"), and the numbers written
    into markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, its lang or None)
        self.spanish_text: list[str] = []
        self.localized_numbers: list[str] = []

    def _language(self) -> str:
        for _tag, lang in reversed(self.stack):
            if lang:
                return lang
        return "es"

    def _in(self, tags) -> bool:
        return any(tag in tags for tag, _lang in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        in_svg = tag == "svg" or self._in({"svg"})
        for name, value in attrs:
            numeric = in_svg or name.startswith("data-") or name == "style"
            pattern = DECIMAL_COMMA_IN_PAIRS if name in PAIR_ATTRIBUTES else DECIMAL_COMMA
            if numeric and value and pattern.search(value):
                self.localized_numbers.append(f"<{tag} {name}={value!r}>")
        lang = attributes.get("lang")
        if tag not in VOID:
            self.stack.append((tag, lang))
        if (lang or self._language()).startswith("es"):
            for name in READ_ATTRIBUTES:
                if attributes.get(name):
                    self.spanish_text.append(attributes[name])
            if tag == "input" and attributes.get("type") in ("submit", "button"):
                self.spanish_text.append(attributes.get("value") or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if data.strip() and not self._in(NOT_PROSE) and self._language().startswith("es"):
            if self._in({"title"}) and ONLY_IN_ENGLISH in data:
                return  # a page title cannot mark its English part; it says so instead
            self.spanish_text.append(data)


def english_words(text: str, proper_names: list[str], english_names=()) -> list[str]:
    """English words in a text read as Spanish, and the given English names found in it."""
    for name in proper_names:
        text = text.replace(name, " ")
    names = [name for name in english_names if re.search(rf"\b{re.escape(name)}\b", text)]
    text = COUNTY_NAME.sub(" ", text)  # "Ada County": a county's official name
    text = VALUE_LIST.sub(" ", text)  # the values a CSV column takes: "city;county;state"
    text = ADDRESS.sub(" ", text)  # email and web addresses are not words
    words = re.findall(r"\b[^\W\d_]+\b", text)
    return [word for word in words if word.lower() in ENGLISH_WORDS] + names


@pytest.fixture
def portal(states):
    """What a Tucson official browses: Arizona, Tucson with its ties, Pima County, the demo
    listings, a local solution."""
    call_command("load_demo_listings", verbosity=0)
    arizona = State.objects.get(usps_code="AZ")
    tucson = PlaceFactory(
        name="Tucson",
        state=arizona,
        population=542_629,
        latitude=32.2217,
        longitude=-110.9265,
        time_zone="America/Phoenix",
    )
    pima = PlaceFactory(
        name="Pima County", kind=Place.Kind.COUNTY, state=arizona, population=1_043_433
    )
    mexico = Country.objects.get(iso_code="MX")
    SisterCity.objects.create(place=tucson, city="Guadalajara", country=mexico, since=1988)
    NetworkMembership.objects.create(place=tucson, network="Climate Mayors", since=2017)
    delegation = Delegation.objects.create(
        place=tucson,
        direction=Delegation.Direction.SENT,
        date=date(2025, 3, 4),
        purpose="Misión comercial a Hermosillo",
    )
    delegation.countries.add(mexico)
    solution = LocalSolution.objects.create(
        place=tucson,
        topic=Topic.objects.get(slug="water-and-sanitation"),
        title="Agua reciclada para los parques",
        description="La ciudad riega 40 parques con agua recuperada.",
        results="Se ahorraron 1.200 millones de litros al año.",
        contact_name="Ana",
        contact_email="ana@example.gov",
        language="es",
        status=SolutionStatus.PUBLISHED,
    )
    solutions.after_move(solution)
    return {"state": arizona, "city": tucson, "county": pima, "solution": solution}


def _public_pages(portal) -> list[str]:
    """Every public HTML page under /es/, from the URL resolver, with real objects in the routes
    that take one (a token is left as it is: the page for a bad or expired link), and the search
    pages with facets and a place."""
    listings = Listing.objects.filter(status=Status.PUBLISHED).order_by("slug")
    with translation.override("es"):
        objects = {
            "listing_detail": [listing.get_absolute_url() for listing in listings],
            "state_detail": [portal["state"].get_absolute_url()],
            "place_detail": [
                portal["city"].get_absolute_url(),
                portal["county"].get_absolute_url(),
            ],
            "solution_detail": [portal["solution"].get_absolute_url()],
        }
    pages = []
    for route in every_route("es"):
        if route.clean.startswith(NOT_PUBLIC) or FILES.search(route.clean):
            continue
        pages += objects.get(getattr(route.callback, "__name__", ""), [route.clean])
    return pages + [
        "/es/opportunities/?topic=climate&kind=city_network&place=az/tucson",
        "/es/opportunities/?q=becas&sort=closing",
        "/es/places/?q=Tucs%C3%B3n",
        "/es/programs/?education_level=undergraduate",
        "/es/solutions/?q=agua",
    ]


def test_the_reader_finds_english_outside_lang_en_and_decimal_commas_in_markup():
    reader = PageReader()
    reader.feed(
        '<p>Solicite hoy. Apply now</p><p lang="en">Apply now</p><input type="submit" '
        'value="Search"><svg><circle cx="109,1" cy="20.5"></circle></svg>'
        '<div data-value="3,5" style="width: 2.5em"></div><br><p>Ada County, vsfs@state.gov</p>'
    )
    found = [english_words(text, []) for text in reader.spanish_text]
    assert found == [["Apply"], ["Search"], []]
    # a topic's English name where its Spanish one should be; a proper name is not one
    assert english_words("Clima, Waste y Climate Mayors", PROPER_NAMES, ["Climate", "Waste"]) == [
        "Waste"
    ]
    assert reader.localized_numbers == [
        "<circle cx='109,1'>",
        "<div data-value='3,5'>",
    ]


def test_the_crawl_reaches_every_kind_of_public_page(client, portal):
    pages = _public_pages(portal)
    for expected in ("/es/", "/es/states/az/", "/es/states/az/tucson/", "/es/about/data/"):
        assert expected in pages
    assert any(re.fullmatch(r"/es/opportunities/[\w-]+/", page) for page in pages)
    assert any(re.fullmatch(r"/es/solutions/\d+/", page) for page in pages)


def _proper_names() -> list[str]:
    proper_names = PROPER_NAMES + [
        *State.objects.values_list("name", flat=True),
        *Place.objects.values_list("name", flat=True),
    ]
    with translation.override("es"):
        proper_names += [country.local_name for country in Country.objects.all()]
    return proper_names


def _english_names() -> list[str]:
    """The English names of the topics and regions that have a Spanish name."""
    return [
        name
        for model in (Topic, Bureau)
        for name, spanish in model.objects.values_list("name_en", "name_es")
        if spanish and spanish != name
    ]


def _english_outside_lang_en(client, pages, english_names=()) -> list[str]:
    """What a Spanish reader would hear as Spanish but is English: interface words, and the
    given English names (topics and regions that have a Spanish name)."""
    proper_names = _proper_names()
    problems = []
    for path in pages:
        response = client.get(path, follow=True)
        assert response.status_code in (200, 400), (path, response.status_code)
        reader = PageReader()
        reader.feed(response.content.decode())
        for text in reader.spanish_text:
            words = english_words(text, proper_names, english_names)
            if words:
                problems.append(f"{path}: {' '.join(text.split())[:160]!r} {words}")
    return problems


def test_every_public_spanish_page_is_spanish_outside_lang_en(client, portal):
    problems = _english_outside_lang_en(client, _public_pages(portal), _english_names())
    assert problems == [], "\n".join(problems)


def test_no_public_spanish_page_writes_a_number_with_a_decimal_comma(client, portal):
    problems = []
    for path in _public_pages(portal):
        reader = PageReader()
        reader.feed(client.get(path, follow=True).content.decode())
        problems += [f"{path}: {found}" for found in reader.localized_numbers]
    assert problems == [], "\n".join(problems)


def test_countries_are_named_in_spanish_on_spanish_pages(client, portal):
    with translation.override("en"):
        tucson = portal["city"].get_absolute_url()
    assert "Guadalajara, México" in client.get(f"/es{tucson}").content.decode()
    assert "Guadalajara, Mexico" in client.get(tucson).content.decode()


@pytest.fixture
def staff_portal(client, portal, admin_user):
    """The portal as a superuser sees it on the staff pages: Tucson's priorities (a topic with a
    Spanish name, one without), Arizona's governor's office's, views of a listing, and a draft
    with no Spanish yet to preview."""
    client.force_login(admin_user)
    untranslated = Topic.objects.create(slug="ocean-economy", name="Ocean economy")
    for where, slugs in [
        ({"place": portal["city"]}, ["climate", "water-and-sanitation", "ocean-economy"]),
        ({"state": portal["state"]}, ["trade-and-investment"]),
    ]:
        response = PriorityResponse.objects.create(
            **where, respondent_name="R", respondent_email="r@example.gov", is_current=True,
            confirmed_at=datetime(2026, 3, 15, tzinfo=UTC),
        )  # fmt: skip
        for rank, slug in enumerate(slugs, start=1):
            PriorityRanking.objects.create(
                response=response, topic=Topic.objects.get(slug=slug), rank=rank
            )
    ListingViews.objects.create(
        listing=Listing.objects.published().order_by("slug").first(), views=12,
        updated_at=datetime(2026, 3, 15, tzinfo=UTC),
    )  # fmt: skip
    draft = ListingFactory(status=Status.DRAFT, topics=[untranslated])
    return {**portal, "draft": draft}


def _staff_pages(staff_portal) -> list[str]:
    """Every staff page under /es/ outside the admin, from the URL resolver (CSV downloads are
    tested apart), with the map's other metrics, filters and bad input (a 400 page)."""
    pages = []
    for route in every_route("es"):
        name = getattr(route.callback, "__name__", "")
        if name == "listing_preview":
            pages.append(f"/es/opportunities/preview/{staff_portal['draft'].pk}/")
        elif route.clean.startswith("/es/staff/") and not FILES.search(route.clean):
            pages.append(route.clean)
    return pages + [
        "/es/staff/reach/?metric=ties",
        "/es/staff/reach/?metric=subscribers",
        "/es/staff/reach/gaps/?state=AZ&underserved=on",
        "/es/staff/reach/gaps/?state=ZZ",
    ]


def test_the_staff_crawl_reaches_every_staff_page(staff_portal):
    pages = _staff_pages(staff_portal)
    for expected in ("/es/staff/reach/", "/es/staff/reach/gaps/", "/es/staff/reach/underserved/",
                     "/es/staff/priorities/"):  # fmt: skip
        assert expected in pages
    assert f"/es/opportunities/preview/{staff_portal['draft'].pk}/" in pages


def test_every_staff_spanish_page_is_spanish_outside_lang_en(client, staff_portal):
    """Staff read the dashboards in Spanish too: topics by their Spanish names (an English one
    only inside lang="en"), and no English interface text."""
    problems = _english_outside_lang_en(client, _staff_pages(staff_portal), _english_names())
    assert problems == [], "\n".join(problems)
