import base64
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplomacy.bad_input import refused_in_parameter
from opportunities import search as search_module
from opportunities.models import Format, GovernmentLevel, Kind
from tests.factories import ListingFactory, topic

pytestmark = pytest.mark.django_db


def titles(response):
    return re.findall(r'class="usa-collection__heading"><a class="usa-link" href="[^"]+">([^<]+)<',
                      response.content.decode())  # fmt: skip


def result_count(response):
    match = re.search(
        r'id="results-heading">\s*(?:More than )?([\d,]+) results?', response.content.decode()
    )
    return int(match.group(1).replace(",", ""))


def test_search_finds_word_forms_by_stemming(client):
    ListingFactory(title="Partnerships with cities abroad")
    ListingFactory(title="Something else entirely", summary="Nothing to see.")
    assert titles(client.get("/opportunities/", {"q": "city partnership"})) == [
        "Partnerships with cities abroad"
    ]


def test_quoted_phrases_match_words_in_that_order(client):
    ListingFactory(title="Clean water for towns", summary="Water that is clean.")
    ListingFactory(title="Water is clean here", summary="Towns.")
    assert titles(client.get("/opportunities/", {"q": '"clean water"'})) == [
        "Clean water for towns"
    ]


def test_a_star_matches_word_prefixes(client):
    ListingFactory(title="Sustainability fellows")
    ListingFactory(title="Unrelated", summary="Nothing.")
    assert titles(client.get("/opportunities/", {"q": "sustain*"})) == ["Sustainability fellows"]


def test_title_matches_rank_above_body_matches(client):
    ListingFactory(title="General support", summary="For all.", body="About ocean plastics.")
    ListingFactory(title="Ocean plastics challenge", summary="For all.")
    assert titles(client.get("/opportunities/", {"q": "ocean plastics"})) == [
        "Ocean plastics challenge", "General support"
    ]  # fmt: skip


def test_matches_are_highlighted_and_markup_in_listings_is_escaped(client):
    ListingFactory(title="Grant", summary="Money for <b>heat</b> resilience plans.")
    html = client.get("/opportunities/", {"q": "resilience"}).content.decode()
    assert "<mark>resilience</mark>" in html
    assert "&lt;b&gt;heat&lt;/b&gt;" in html


def test_only_published_listings_are_found(client):
    ListingFactory(title="Public grant")
    ListingFactory(title="Draft grant", status="draft", published_at=None)
    ListingFactory(title="Archived grant", status="archived")
    assert titles(client.get("/opportunities/", {"q": "grant"})) == ["Public grant"]


def test_facet_counts_agree_with_the_results(client):
    ListingFactory.create_batch(3, kind=Kind.EVENT, format=Format.VIRTUAL)
    ListingFactory.create_batch(2, kind=Kind.FELLOWSHIP, topics=[topic("democracy-and-governance")])
    ListingFactory(kind=Kind.FUNDING, government_levels=[GovernmentLevel.COUNTY])
    html = client.get("/opportunities/").content.decode()
    counts = dict(
        re.findall(
            r'id="([a-z]+-[a-z_-]+)"[^>]*>\s*<label[^>]*>[^<]*<span class="facet-count">\((\d+)\)',
            html,
        )
    )
    assert counts["kind-event"] == "3" and counts["kind-fellowship"] == "2"
    assert counts["format-virtual"] == "3" and counts["topic-democracy-and-governance"] == "2"
    chosen = [("kind", "event"), ("kind", "fellowship"), ("format", "virtual"),
              ("topic", "climate"), ("level", "county"), ("deadline", "month")]  # fmt: skip
    for name, value in chosen:
        response = client.get("/opportunities/", {name: value})
        assert result_count(response) == int(counts[f"{name}-{value}"]), (name, value)


def test_filters_combine_and_choices_within_a_filter_widen(client):
    ListingFactory(title="Event A", kind=Kind.EVENT, format=Format.VIRTUAL)
    ListingFactory(title="Event B", kind=Kind.EVENT, format=Format.IN_PERSON)
    ListingFactory(title="Fellowship C", kind=Kind.FELLOWSHIP, format=Format.VIRTUAL)
    both = client.get("/opportunities/", {"kind": ["event", "fellowship"]})
    assert result_count(both) == 3
    narrowed = client.get("/opportunities/", {"kind": "event", "format": "virtual"})
    assert titles(narrowed) == ["Event A"]


def test_deadline_windows_and_closing_soon_order(client):
    now = timezone.now()
    ListingFactory(title="Later", deadline=now + timedelta(days=90))
    ListingFactory(title="This week", deadline=now + timedelta(days=2))
    ListingFactory(title="Rolling", deadline=None)
    assert titles(client.get("/opportunities/", {"deadline": "week"})) == ["This week"]
    assert titles(client.get("/opportunities/", {"deadline": "rolling"})) == ["Rolling"]
    assert titles(client.get("/opportunities/", {"sort": "closing"})) == [
        "This week",
        "Later",
        "Rolling",
    ]


def test_pages_follow_on_without_gaps_or_repeats(client):
    for n in range(45):
        ListingFactory(title=f"Grant {n:02d}", deadline=timezone.now() + timedelta(days=n + 1))
    seen, url, params = [], "/opportunities/", {"sort": "closing"}
    for _ in range(3):
        response = client.get(url, params)
        seen += titles(response)
        match = re.search(r'href="\?([^"]*after=[^"]+)">Next page', response.content.decode())
        if not match:
            break
        url, params = "/opportunities/?" + match.group(1).replace("&amp;", "&"), {}
    assert seen == [f"Grant {n:02d}" for n in range(45)]


def test_a_first_page_by_relevance_is_the_same_with_counts_cached_or_not(client):
    """Without cached counts, the first page by relevance is picked from the candidates
    fetched for the counts, not asked of the database: the same listings in the same order,
    ties broken the same way, and the same next page."""
    from django.core.cache import cache

    for n in range(12):  # ranks in steps: the word once, twice, in the title too
        ListingFactory(title=f"Water grant {n:02d}" if n % 3 == 0 else f"Grant {n:02d}",
                       summary="Water " * (1 + n % 4) + "for towns.")  # fmt: skip
    for n in range(12, 30):  # many ties
        ListingFactory(title=f"Grant {n:02d}", summary="Clean water for towns.")

    def first_and_second_pages():
        first = client.get("/opportunities/", {"q": "water"})
        link = re.search(r'href="\?([^"]*after=[^"]+)">Next page', first.content.decode())
        second = client.get("/opportunities/?" + link.group(1).replace("&amp;", "&"))
        return titles(first), titles(second)

    cache.clear()
    counted_here = first_and_second_pages()
    counted_before = first_and_second_pages()  # the counts are cached now
    assert counted_here == counted_before
    first, second = counted_here
    assert len(first) == 20 and len(second) == 10 and not set(first) & set(second)
    assert first[0].startswith("Water grant")  # the word in the title ranks first
    ties = [title for title in first + second if "Grant 12" <= title <= "Grant 29"]
    assert ties == sorted(ties, reverse=True)  # equal ranks: the newest (highest id) first


def test_common_words_rank_only_a_bounded_set_of_candidates(client, monkeypatch):
    monkeypatch.setattr(search_module, "CANDIDATE_LIMIT", 5)
    ListingFactory.create_batch(8, summary="Common words everywhere.")
    response = client.get("/opportunities/", {"q": "common"})
    assert "More than 5 results" in response.content.decode()
    assert len(titles(response)) == 5


def test_a_ten_kilobyte_search_is_refused_with_a_clear_message(client):
    response = client.get("/opportunities/", {"q": "water " * 2000})
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.content.decode()


def test_no_results_say_what_to_try(client):
    response = client.get("/opportunities/", {"q": "zzzzqqq"})
    html = response.content.decode()
    assert "No listings match" in html and "Remove some filters." in html


def test_query_count_does_not_grow_with_results(client, django_assert_max_num_queries):
    ListingFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        assert client.get("/opportunities/", {"q": "cities"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get("/opportunities/", {"kind": "funding", "sort": "closing"}).status_code == 200
        )


@pytest.mark.parametrize(
    "cursor, words",
    [
        ("not-a-cursor", ""),
        # Well-formed, but with a rank no real number can hold (or none at all).
        (search_module._encode([1e300, 5]), "harbor"),
        (base64.urlsafe_b64encode(b"[NaN,5]").decode(), "harbor"),
        (base64.urlsafe_b64encode(b"[Infinity,5]").decode(), "harbor"),
        (search_module._encode([True, 5]), "harbor"),
    ],
)
def test_a_damaged_page_link_falls_back_to_the_first_page(client, cursor, words):
    ListingFactory(title="Harbor grant")
    response = client.get("/opportunities/", {"after": cursor, "q": words})
    assert response.status_code == 200
    assert "That page link was damaged" in response.content.decode()
    assert titles(response) == ["Harbor grant"]


def test_a_page_link_after_a_rank_too_small_for_a_real_shows_what_ranks_lower(client):
    """PostgreSQL refuses 1e-50 as a real: the rank is rounded as reals are (to 0), not sent."""
    ListingFactory(title="Harbor grant")
    after = search_module._encode([1e-50, 5])
    response = client.get("/opportunities/", {"after": after, "q": "harbor"})
    assert response.status_code == 200
    assert titles(response) == [] and "That page link was damaged" not in response.content.decode()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "kind",
                "topic",
                "region",
                "audience",
                "level",
                "format",
                "deadline",
                "sort",
                "after",
                "underserved",
                "page",
            ]
        ),  # fmt: skip
        st.one_of(
            st.text(max_size=60),
            st.text(min_size=1, max_size=50, alphabet="ab \"'-*:&|!()<>").map(
                lambda chunk: (chunk * 10_000)[:10_000]  # 10 KB of search syntax
            ),
            st.sampled_from(
                [
                    "' OR 1=1 --",
                    "<script>alert(1)</script>",
                    "%00",
                    "eyJ4Ijox",
                    "99999999999999999999",
                    "-1",
                    "2027-13-45",
                    ":*",
                    "!!",
                    "\x00",
                ]
            ),
        ),
    )
)
def test_any_parameters_render_the_search_page(client, params):
    response = client.get("/opportunities/", params)
    # Only a NUL or another control character is refused, site-wide, with the 400 page.
    refused = any(refused_in_parameter(v) for v in params.values())
    assert response.status_code == (400 if refused else 200)


def event_count(client, **params):
    html = client.get("/opportunities/", params).content.decode()
    match = re.search(r'for="kind-event">[^<]*<span class="facet-count">\((\d+)\)', html)
    return int(match.group(1)) if match else 0


def test_cached_counts_follow_every_change_to_listings(client):
    from opportunities import publishing

    ListingFactory(kind=Kind.EVENT, title="Summit on water")
    assert event_count(client) == 1 and event_count(client, q="summit") == 1
    waiting = ListingFactory(kind=Kind.EVENT, status="in_review", published_at=None,
                             title="Summit on heat")  # fmt: skip
    publishing.publish([waiting], None)  # a bulk move, without save() signals
    assert event_count(client) == 2 and event_count(client, q="summit") == 2
    publishing.archive([waiting], None)
    assert event_count(client) == 1 and event_count(client, q="summit") == 1


def test_candidates_counted_in_python_agree_with_the_sql_counts(states):
    """A text search counts its candidates' own columns in Python (search.facet_counts with
    candidates); every value of every group must get the count the SQL conditions give."""
    import random

    from cities.models import Bureau
    from opportunities.filters import DeadlineWindow
    from opportunities.models import Audience, DeadlineKind, Listing

    rng = random.Random(5)
    now = timezone.now()
    deadlines = [None, now + timedelta(days=2), now + timedelta(days=10), now + timedelta(days=90)]
    bureaus = list(Bureau.objects.all())
    for n in range(60):
        deadline = rng.choice(deadlines)
        listing = ListingFactory(
            title=f"Listing {n}",
            kind=rng.choice(Kind.values),
            format=rng.choice(Format.values),
            audiences=rng.sample(Audience.values, rng.randint(1, 2)),
            government_levels=rng.sample(GovernmentLevel.values, rng.randint(0, 2)),
            deadline=deadline,
            deadline_kind=DeadlineKind.ROLLING if deadline is None else DeadlineKind.CONFIRMED,
            is_global=rng.random() < 0.3,
            targets_underserved=rng.random() < 0.4,
        )
        listing.bureaus.set(rng.sample(bureaus, rng.randint(0, 2)))
    matched = Listing.objects.open()
    candidates = search_module._candidates(matched)
    topics, regions = [("climate", "Climate")], [("global", "Global")]
    by_sql = search_module.facet_counts(matched, topics, regions)
    by_python = search_module.facet_counts(matched, topics, regions, candidates=candidates)
    assert by_python == by_sql
    # Every group has values on both sides of its conditions, so the comparison means something.
    for group in ("kind", "audience", "level", "format", "deadline"):
        counts = [facet.count for facet in by_sql[group]]
        assert max(counts) > 0 and sum(counts) > 0, group
    assert {w for w, *_ in DeadlineWindow.choices} == {f.value for f in by_sql["deadline"]}
    assert all(f.count > 0 for f in by_sql["deadline"])
    assert 0 < by_sql["underserved"][0].count < 60
    assert 0 < next(f.count for f in by_sql["region"] if f.value == "global") < 60
