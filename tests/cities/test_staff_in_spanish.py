"""The staff dashboards under /es/staff/ name topics in Spanish (from the topics' Spanish names,
else the English marked lang="en"), in their tables, charts and CSV, with the queries of the
English pages."""

import csv
import datetime
import io
import re
from datetime import UTC

import pytest

from cities.models import LocalSolution, PriorityRanking, PriorityResponse, SolutionStatus, State
from opportunities.models import Topic
from tests.factories import PlaceFactory, topic

pytestmark = pytest.mark.django_db

ONLY_IN_ENGLISH = (
    '<span lang="en">Ocean economy</span> <span class="only-in-english text-base-dark '
    'text-italic font-body-3xs">Solo en inglés</span>'
)


def _solution(place, slug):
    LocalSolution.objects.create(
        place=place, topic=topic(slug), title=f"Solution in {place.name}", description="Did it.",
        results="It worked.", contact_name="A", contact_email="a@example.gov",
        status=SolutionStatus.PUBLISHED,
    )  # fmt: skip


def _priorities(where: dict, email: str, slugs: list[str]):
    response = PriorityResponse.objects.create(
        **where, respondent_name="R", respondent_email=email, is_current=True,
        confirmed_at=datetime.datetime(2026, 3, 15, tzinfo=UTC),
    )  # fmt: skip
    for rank, slug in enumerate(slugs, start=1):
        PriorityRanking.objects.create(response=response, topic=topic(slug), rank=rank)


@pytest.fixture
def asked(states):
    """Solutions on waste (Residuos) and on a topic with no Spanish name yet; Austin asks for
    climate (Clima) and that topic, Texas's governor's office for housing (Vivienda)."""
    Topic.objects.create(slug="ocean-economy", name="Ocean economy")
    texas = State.objects.get(usps_code="TX")
    boulder = PlaceFactory(name="Boulder", population=105_000)
    _solution(boulder, "waste")
    _solution(boulder, "ocean-economy")
    austin = PlaceFactory(name="Austin", population=960_000, state=texas)
    _priorities({"place": austin}, "a@austin.gov", ["climate", "ocean-economy"])
    _priorities({"state": texas}, "governor@texas.gov", ["housing"])


def _chart_labels(html: str, chart_id: str) -> list[str]:
    chart = html[html.index(f'id="{chart_id}-title"') :]
    chart = chart[: chart.index("</svg>")]
    return re.findall(r'<text [^>]*class="bar-chart__label"[^>]*>([^<]*)</text>', chart)


def test_reach_dashboard_charts_name_topics_in_spanish(client, curator, asked):
    html = client.get("/es/staff/reach/").content.decode()
    assert _chart_labels(html, "solution-topics") == ["Ocean economy", "Residuos"]
    assert _chart_labels(html, "priority-topics") == ["Clima", "Ocean economy", "Vivienda"]
    # a name with no Spanish yet is marked as English
    assert html.count('lang="en" class="bar-chart__label">Ocean economy</text>') == 2
    for english in ("Waste", "Climate", "Housing"):
        assert f">{english}<" not in html


def test_priorities_dashboard_names_topics_in_spanish(client, curator, asked):
    html = client.get("/es/staff/priorities/").content.decode()
    # by score: a first choice (Clima, Vivienda) before a second one
    assert _chart_labels(html, "topics-chart") == ["Clima", "Vivienda", "Ocean economy"]
    table = html[html.index('id="topics-table"') :]
    table = table[: table.index("</table>")]
    assert re.findall(r'<th scope="row">(.*?)</th>', table) == [
        "Clima", "Vivienda", ONLY_IN_ENGLISH
    ]  # fmt: skip
    states = html[html.index('id="states-table"') :]
    assert f"Texas</th><td>Vivienda (1)</td><td>Clima (1), {ONLY_IN_ENGLISH} (1)</td>" in states
    bands = html[html.index('id="bands-heading"') : html.index('id="months-heading"')]
    assert f"250 000 o más</th><td>Clima (1), {ONLY_IN_ENGLISH} (1)</td>" in bands
    months = html[html.index('id="months-heading"') :]
    assert f"marzo 2026</th><td>Clima (1), {ONLY_IN_ENGLISH} (1), Vivienda (1)" in months
    for english in ("Climate", "Housing"):
        assert english not in html


def test_english_dashboards_keep_english_names_without_notes(client, curator, asked):
    for page in ("/staff/priorities/", "/staff/reach/"):
        html = client.get(page).content.decode()
        assert ">Climate<" in html and ">Ocean economy<" in html
        assert ">Clima<" not in html and 'lang="en"' not in html.split("<body", 1)[1]


def test_priorities_csv_has_the_topic_in_english_and_in_spanish(client, curator, asked):
    for prefix in ("", "/es"):
        response = client.get(f"{prefix}/staff/priorities/", {"format": "csv"})
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert sorted((row["topic"], row["topic_es"]) for row in rows) == [
            ("Climate", "Clima"), ("Housing", "Vivienda"), ("Ocean economy", "")
        ]  # fmt: skip


def test_spanish_dashboards_query_count_is_constant(
    client, curator, asked, django_assert_max_num_queries
):
    texas = State.objects.get(usps_code="TX")
    slugs = list(Topic.objects.values_list("slug", flat=True))
    for i in range(12):
        place = PlaceFactory(population=20_000 + i, state=texas)
        _solution(place, slugs[i])
        _priorities({"place": place}, f"r{i}@example.gov", slugs[i : i + 3])
    # the same bounds as the English pages (tests/cities/test_reach.py, test_priorities.py)
    with django_assert_max_num_queries(18):
        assert client.get("/es/staff/reach/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/es/staff/priorities/").status_code == 200
