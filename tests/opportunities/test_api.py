"""The JSON API: the search page's filters, cursor pages, errors, limits, keys and CORS."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cities.models import Bureau, State
from opportunities.models import ApiKey, Format, Kind
from tests.factories import ListingFactory, PlaceFactory, topic

pytestmark = pytest.mark.django_db


def slugs(response):
    return [listing["slug"] for listing in response.json()["results"]]


def web_titles(client, params):
    from tests.opportunities.test_search import titles

    return titles(client.get("/opportunities/", params))


def test_listings_are_published_ones_newest_first_with_their_relations(client, states):
    older = ListingFactory(
        title="Older grant", published_at=timezone.now() - timedelta(days=2),
        topics=[topic("water-and-sanitation")],
    )  # fmt: skip
    older.bureaus.set(Bureau.objects.filter(code="WHA"))
    older.target_states.set(State.objects.filter(usps_code="CO"))
    ListingFactory(title="Newer grant")
    ListingFactory(title="Draft grant", status="draft", published_at=None)
    response = client.get("/api/v1/listings/")
    assert response.status_code == 200
    body = response.json()
    assert [item["title"] for item in body["results"]] == ["Newer grant", "Older grant"]
    assert body["count"] == 2 and body["next"] is None
    item = body["results"][1]
    assert item["topics"] == ["water-and-sanitation"]
    assert item["regions"] == ["WHA"]
    assert item["target_states"] == ["CO"]
    assert item["web_url"] == "http://testserver/opportunities/older-grant/"
    assert (
        item["deadline"] == older.deadline.astimezone(timezone.get_current_timezone()).isoformat()
    )


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "event"},
        {"kind": ["event", "fellowship"], "format": "virtual"},
        {"topic": "democracy-and-governance"},
        {"q": "water", "sort": "closing"},
        {"deadline": "rolling"},
        {"underserved": "true"},
    ],
)
def test_filters_and_text_search_give_the_same_results_as_the_search_page(client, params):
    ListingFactory(title="Water summit", kind=Kind.EVENT, format=Format.VIRTUAL)
    ListingFactory(title="Water fellowship", kind=Kind.FELLOWSHIP, deadline=None)
    ListingFactory(
        title="Democracy fellowship", kind=Kind.FELLOWSHIP, format=Format.VIRTUAL,
        topics=[topic("democracy-and-governance")], targets_underserved=True,
    )  # fmt: skip
    ListingFactory(title="Trade mission", kind=Kind.TRADE_MISSION)
    api = client.get("/api/v1/listings/", params).json()
    assert [item["title"] for item in api["results"]] == web_titles(client, params)
    assert api["results"], "each case should find something"


def test_cursor_pages_walk_every_listing_once_in_order(client):
    created = ListingFactory.create_batch(7)
    seen, url = [], "/api/v1/listings/?page_size=3&sort=closing"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 3
        seen += [item["slug"] for item in body["results"]]
        url = body["next"]
    expected = sorted(created, key=lambda listing: (listing.deadline, listing.id))
    assert seen == [listing.slug for listing in expected]


def test_query_count_is_the_same_for_a_small_and_a_full_page(client, django_assert_max_num_queries):
    ListingFactory.create_batch(2)
    with django_assert_max_num_queries(12) as small:
        client.get("/api/v1/listings/", {"q": "listing"})
    ListingFactory.create_batch(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/listings/", {"q": "listing", "page_size": 40})
    assert len(response.json()["results"]) == 40


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"kind": "spaceship"}, "kind"),
        ({"topic": "not-a-topic"}, "topic"),
        ({"sort": "random"}, "sort"),
        ({"underserved": "maybe"}, "underserved"),
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": "two"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
    ],
)
def test_bad_parameters_are_a_400_in_json_naming_the_parameter(client, params, name):
    response = client.get("/api/v1/listings/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 400 and body["detail"]
    assert list(body["errors"]) == [name]


def test_every_bad_parameter_is_reported_at_once(client):
    response = client.get("/api/v1/listings/", {"kind": "x", "page_size": "0", "sort": "y"})
    assert set(response.json()["errors"]) == {"kind", "page_size", "sort"}


def test_unknown_listing_and_unknown_address_are_404_in_json(client):
    ListingFactory(title="Draft", status="draft", published_at=None)
    for url in ("/api/v1/listings/draft/", "/api/v1/listings/nothing-here/", "/api/v1/nope/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["status"] == 404


def test_the_root_points_to_every_endpoint(client):
    body = client.get("/api/v1/").json()
    assert body["listings"] == "http://testserver/api/v1/listings/"
    assert set(body) == {"listings", "states", "places", "schema", "docs"}


def test_writing_is_not_allowed(client):
    ListingFactory(title="Grant")
    response = client.post("/api/v1/listings/", {}, content_type="application/json")
    assert response.status_code == 405
    assert response.json()["detail"]


def test_archived_listing_can_be_read_and_says_so(client):
    ListingFactory(title="Old grant", status="archived")
    response = client.get("/api/v1/listings/old-grant/")
    assert response.status_code == 200
    assert response.json()["status"] == "archived"


def test_states_and_places(client, states, django_assert_max_num_queries):
    denver = PlaceFactory(name="Denver", population=700_000)
    PlaceFactory(name="Boulder", kind="city")
    body = client.get("/api/v1/states/", {"page_size": 100}).json()
    assert len(body["results"]) == State.objects.count()
    assert client.get("/api/v1/states/co/").json()["name"] == "Colorado"
    assert client.get("/api/v1/states/zz/").status_code == 404
    with django_assert_max_num_queries(4):
        places = client.get("/api/v1/places/", {"state": "CO", "q": "den"}).json()
    assert [place["name"] for place in places["results"]] == ["Denver"]
    assert (
        client.get(f"/api/v1/places/{denver.id}/").json()["web_url"].endswith("/states/co/denver/")
    )
    assert client.get("/api/v1/places/", {"state": "XX"}).status_code == 400
    assert client.get("/api/v1/places/99999999999999999999/").status_code == 400


def test_anonymous_callers_are_throttled_with_retry_after(client, settings):
    settings.API_RATE_ANONYMOUS = "3/minute"
    for _ in range(3):
        assert client.get("/api/v1/states/").status_code == 200
    response = client.get("/api/v1/states/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()


def test_behind_a_proxy_callers_are_counted_by_their_forwarded_address(client, settings):
    settings.API_RATE_ANONYMOUS = "1/minute"
    settings.TRUSTED_PROXIES = 1
    first = {"X-Forwarded-For": "198.51.100.7"}
    assert client.get("/api/v1/states/", headers=first).status_code == 200
    assert client.get("/api/v1/states/", headers=first).status_code == 429
    other = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/api/v1/states/", headers=other).status_code == 200


def test_an_api_key_raises_the_limit_and_is_stored_only_as_a_hash(client, settings):
    settings.API_RATE_ANONYMOUS = "2/minute"
    settings.API_RATE_WITH_KEY = "5/minute"
    api_key = ApiKey(name="City network data team")
    key = api_key.issue()
    api_key.save()
    assert key not in str(ApiKey.objects.values_list().get())
    for _ in range(5):
        assert client.get("/api/v1/states/", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/v1/states/", headers={"X-API-Key": key}).status_code == 429
    assert client.get("/api/v1/states/").status_code == 200  # anonymous has its own count
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_a_wrong_or_revoked_key_is_a_401(client):
    api_key = ApiKey(name="Old")
    key = api_key.issue()
    api_key.save()
    api_key.revoke()
    for value in (key, "sdp_made-up"):
        response = client.get("/api/v1/states/", headers={"X-API-Key": value})
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "X-API-Key"
        assert "not valid" in response.json()["detail"]


def test_staff_create_a_key_in_the_admin_and_see_it_once(admin_client):
    response = admin_client.post(
        "/admin/opportunities/apikey/add/", {"name": "Journalists' lab", "contact_email": ""}
    )
    assert response.status_code == 200
    key = response.context["key"]
    assert key.startswith("sdp_") and key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get()
    assert api_key.key_hash != key and ApiKey.objects.for_key(key) == api_key
    change_page = admin_client.get(f"/admin/opportunities/apikey/{api_key.pk}/change/")
    assert key not in change_page.content.decode()


def test_staff_revoke_keys_with_an_admin_action(admin_client):
    api_key = ApiKey(name="Lab")
    key = api_key.issue()
    api_key.save()
    admin_client.post(
        "/admin/opportunities/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    assert ApiKey.objects.for_key(key) is None


def test_curators_cannot_manage_keys(client, django_user_model):
    from django.contrib.auth.models import Group

    curator = django_user_model.objects.create_user("curator", password="x", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curator"))
    client.force_login(curator)
    assert client.get("/admin/opportunities/apikey/add/").status_code == 403


def test_cors_is_open_for_reading_the_api_and_feeds_only(client):
    origin = {"Origin": "https://example.org"}
    api = client.get("/api/v1/states/", headers=origin)
    assert api["Access-Control-Allow-Origin"] == "*"
    feed = client.get("/opportunities/feed.rss", headers=origin)
    assert feed["Access-Control-Allow-Origin"] == "*"
    page = client.get("/opportunities/", headers=origin)
    assert "Access-Control-Allow-Origin" not in page
    preflight = client.options(
        "/api/v1/listings/",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_schema_lists_the_search_filters_with_the_topics_in_the_database(client):
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    parameters = {
        p["name"]: p for p in schema.json()["paths"]["/api/v1/listings/"]["get"]["parameters"]
    }
    assert {"q", "kind", "topic", "region", "audience", "level", "underserved", "format",
            "deadline", "sort", "cursor", "page_size"} <= set(parameters)  # fmt: skip
    assert "climate" in parameters["topic"]["schema"]["items"]["enum"]


def _violations(schema: dict):
    """Values just outside each limit the schema states, with the limit's name."""
    items = schema.get("items", {})
    if "maxLength" in schema:
        yield "maxLength", "x" * (schema["maxLength"] + 1)
    if "enum" in schema or "enum" in items:
        yield "enum", "not-one-of-the-choices"
    if "minimum" in schema:
        yield "minimum", str(schema["minimum"] - 1)
    if "maximum" in schema:
        yield "maximum", str(schema["maximum"] + 1)
    if schema.get("pattern") == r"^[^\x00]*$":
        yield "pattern", "a\x00b"


def test_every_parameter_obeys_the_limits_its_schema_states(client, states, settings):
    settings.API_RATE_ANONYMOUS = "100000/minute"
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/json"}).json()
    checked, failures = set(), []
    for path, operations in schema["paths"].items():
        parameters = operations["get"].get("parameters", [])
        # A query parameter of a detail endpoint (lang) is tried on an address that exists.
        address = path
        for parameter in parameters:
            if parameter["in"] == "path":
                sample = "1" if parameter["schema"].get("type") == "integer" else "co"
                address = address.replace(f"{{{parameter['name']}}}", sample)
        for parameter in parameters:
            name = parameter["name"]
            for limit, value in _violations(parameter["schema"]):
                if parameter["in"] == "path":
                    response = client.get(path.replace(f"{{{name}}}", value))
                else:
                    response = client.get(address, {name: value})
                body = response.json()
                if response.status_code != 400 or name not in body.get("errors", {}):
                    failures.append(f"{path} {name} {limit}: {response.status_code} {body}")
                checked.add((path, name, limit))
    assert failures == []
    assert {
        ("/api/v1/places/", "q", "maxLength"),
        ("/api/v1/places/", "state", "enum"),
        ("/api/v1/listings/", "q", "maxLength"),
        ("/api/v1/listings/", "topic", "enum"),
        ("/api/v1/listings/", "page_size", "maximum"),
        ("/api/v1/states/", "page_size", "minimum"),
        ("/api/v1/places/{id}/", "id", "minimum"),
        ("/api/v1/places/{id}/", "id", "maximum"),
        ("/api/v1/listings/", "lang", "enum"),
        ("/api/v1/listings/{slug}/", "lang", "enum"),
    } <= checked


def test_a_place_name_search_is_at_most_100_characters(client, states):
    assert client.get("/api/v1/places/", {"q": "x" * 100}).status_code == 200
    response = client.get("/api/v1/places/", {"q": "x" * 101})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "q": ["Ensure this value has at most 100 characters (it has 101)."]
    }


def test_docs_page_uses_local_assets_and_a_separate_script(client):
    html = client.get("/api/v1/docs/").content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf-yasg" not in html and "swagger-ui-bundle.js" in html
    assert "<script>" not in html  # the Content Security Policy forbids inline scripts
    script = client.get("/api/v1/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/api/v1/", 0),
        ("/api/v1/listings/grant/", 5),  # the listing and its four relations
        ("/api/v1/states/", 1),
        ("/api/v1/states/co/", 1),
        ("/api/v1/places/", 2),  # the state choices and the page
        ("/api/v1/docs/", 0),
        ("/api/v1/schema/", 18),  # the filters' choices, read for each operation
    ],
)
def test_every_endpoint_has_a_bounded_query_count(
    client, states, url, most, django_assert_max_num_queries
):
    ListingFactory(title="Grant")
    PlaceFactory.create_batch(3)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
