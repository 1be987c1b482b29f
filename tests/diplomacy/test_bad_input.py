"""No 500 from input: a NUL byte or bytes that are not UTF-8 anywhere a view could read them is a
400 (diplomacy/bad_input.py), for every URL the resolver knows, in both languages."""

import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import LocalePrefixPattern, RegexPattern
from django.utils import translation

from opportunities.models import Subscription

pytestmark = pytest.mark.django_db

NUL = "%00"
NOT_UTF8 = "%ff%fe"
# What converters and regular-expression groups are filled with; NUL and NOT_UTF8 go inside the
# parts that take any text (str, slug, path and regex wildcards), where views read them.
SAMPLES = {"int": "1", "uuid": "0b6f8a9e-3c1d-4f2a-9e8b-2d7c6a5b4e3f"}
TEXT_SAMPLE = "sample{}"
# Query parameters the portal's views read somewhere; each request sends them all.
PARAMETERS = ["q", "topic", "kind", "metric", "sort", "page", "cursor", "page_size", "next"]
FORM = {"email": "someone@example.com", "name": "Ana", "username": "staff", "password": "secret"}


@dataclass(frozen=True)
class Route:
    pattern: str  # as written in the URLconf, for failure messages
    callback: object
    clean: str
    nul: str
    not_utf8: str


def _fill(route: str, regex: bool, text: str) -> str:
    """A URL part matching `route`, with `text` wherever any text is taken."""
    if not regex:
        return re.sub(
            r"<(?:(\w+):)?\w+>",
            lambda m: SAMPLES.get(m.group(1), TEXT_SAMPLE.format(text)),
            route,
        )

    def group(match):
        alternatives = match.group(1)
        if re.fullmatch(r"[\w-]+(\|[\w-]+)*", alternatives):
            return alternatives.split("|")[0]  # a choice: the admin's app labels
        return SAMPLES["int"] + text

    return re.sub(r"\((?:\?P<\w+>)?([^)]*)\)", group, route.removeprefix("^").removesuffix("$"))


def _routes(patterns, language: str, prefix=("", "", "")) -> list[Route]:
    routes = []
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, LocalePrefixPattern):
            with translation.override(language):
                parts = (pattern.language_prefix,) * 3
        else:
            regex = isinstance(pattern, RegexPattern)
            route = pattern._regex if regex else pattern._route
            parts = tuple(_fill(route, regex, text) for text in ("", NUL, NOT_UTF8))
        joined = tuple(a + b for a, b in zip(prefix, parts, strict=True))
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, language, joined)
        elif isinstance(entry, URLPattern):
            clean, nul, not_utf8 = ("/" + part for part in joined)
            if nul == clean:  # nothing in it takes text: the bad bytes end the path
                nul, not_utf8 = clean + NUL, clean + NOT_UTF8
            routes.append(Route(str(entry.pattern), entry.callback, clean, nul, not_utf8))
    return routes


def every_route(language: str) -> list[Route]:
    routes = _routes(get_resolver().url_patterns, language)
    if language != "en":  # the API and /healthz have no language prefix: tested once, in English
        routes = [route for route in routes if route.clean.startswith(f"/{language}/")]
    return routes


def _query(value: str) -> str:
    return "&".join(f"{name}={value}" for name in PARAMETERS)


def bad_requests(client, route: Route):
    """Each way to send the bad bytes to this route's view, and the answer."""
    yield "NUL in the path", client.get(route.nul)
    yield "NUL in the parameters", client.get(f"{route.clean}?{_query(NUL)}")
    yield "not UTF-8 in the path", client.get(route.not_utf8)
    yield "not UTF-8 in the parameters", client.get(f"{route.clean}?{_query(NOT_UTF8)}")
    nul_form = {**FORM, "email": "some\x00one@example.com", "na\x00me": "Ana"}
    yield "NUL in a multipart form", client.post(route.clean, nul_form)
    yield (
        "NUL in an urlencoded form",
        client.post(route.clean, "email=x%00&name=Ana", "application/x-www-form-urlencoded"),
    )
    yield (
        "not UTF-8 in an urlencoded form",
        client.post(route.clean, "name=%ff%fe", "application/x-www-form-urlencoded"),
    )


def test_the_generated_urls_reach_every_view(db):
    """The test below is only as good as its URLs: each clean one must reach its own view."""
    for language in ("en", "es"):
        routes = every_route(language)
        assert len(routes) > 100  # the site's pages, the API and the admin
        with translation.override(language):
            wrong = [r.pattern for r in routes if resolve(r.clean).func is not r.callback]
        assert wrong == []


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("who", ["visitor", "staff"])
def test_bad_bytes_anywhere_are_a_400_never_a_500(client, admin_user, states, language, who):
    client.raise_request_exception = False  # a 500 is a failure to list, not an error to stop at
    if who == "staff":
        client.force_login(admin_user)  # the admin and staff pages read their input too
    failures = []
    for route in every_route(language):
        for how, response in bad_requests(client, route):
            api = route.clean.startswith("/api/")
            kind = "application/json" if api else "text/html; charset=utf-8"
            if response.status_code != 400 or response["Content-Type"] != kind:
                failures.append(f"{route.pattern} ({route.clean}), {how}: {response.status_code}")
    assert failures == []


def test_the_page_says_what_was_wrong_in_the_sites_look(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/states/%00/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "We can’t read this request" in html
    assert "The address contains a NUL character (%00), which is never allowed." in html
    assert "An official website of the United States government" in html  # base.html's banner
    assert "Error code: 400" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_page_names_the_parameter_and_speaks_spanish_under_es(client):
    response = client.get("/es/subscribe/?topic=%00")
    html = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="es">' in html
    assert "el parámetro “topic”" in html
    assert "carácter NUL" in html


def test_the_api_answers_in_its_error_style_naming_the_parameter(client):
    response = client.get("/api/v1/places/?state=CO&q=ab%00c")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["detail"] == "Some parameters are not valid; see errors."
    assert body["errors"] == {
        "q": ["This value contains a NUL character (%00), which is never allowed."]
    }
    not_utf8 = client.get("/api/v1/listings/?sort=%ff%fe").json()
    assert not_utf8["errors"] == {"sort": ["This value is not UTF-8 text."]}


def test_the_api_says_when_the_address_itself_is_wrong(client):
    response = client.get("/api/v1/states/c%00/")
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "detail": "The address contains a NUL character (%00), which is never allowed.",
    }


def test_a_nul_in_a_form_saves_nothing(client, states):
    response = client.post("/subscribe/", {"email": "ana\x00@example.com", "topics": ["climate"]})
    assert response.status_code == 400
    assert "the field “email”" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_multipart_field_name_is_checked_too(client):
    response = client.post("/admin/login/", {"user\x00name": "staff"})
    assert response.status_code == 400
    assert "the field “user%00name”" in response.content.decode()


def test_file_contents_are_not_read_only_their_names(client):
    upload = SimpleUploadedFile("listings.csv", b"\x00\xff binary is fine")
    assert client.post("/admin/login/", {"csv_file": upload}).status_code == 200
    named = SimpleUploadedFile("list\x00ings.csv", b"title\n")
    assert client.post("/admin/login/", {"csv_file": named}).status_code == 400


def test_a_form_too_big_to_hold_in_memory_is_checked_once_parsed(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    upload = SimpleUploadedFile("listings.csv", b"x" * 1000)
    body = encode_multipart("BoUnDaRy", {"csv_file": upload, "note": "a\x00b"})
    response = client.post("/admin/login/", body, "multipart/form-data; boundary=BoUnDaRy")
    assert response.status_code == 400
    assert "the field “note”" in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "name"),
    [
        ({"X-API-Key": "key\x00"}, "X-Api-Key"),
        ({"User-Agent": "agent\x00"}, "User-Agent"),
        ({"X-Forwarded-For": "203.0.113.9\x00"}, "X-Forwarded-For"),
        ({"Cookie": 'sessionid="abcdefgh\\000ijklmnop"'}, "Cookie"),
    ],
)
def test_a_nul_in_a_header_the_portal_reads_is_a_400(client, headers, name):
    response = client.get("/api/v1/", headers=headers)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [name]
    assert client.get("/", headers=headers).status_code == 400


def test_text_that_is_utf8_passes(client, states):
    assert client.get("/opportunities/?q=caf%C3%A9+%E2%80%9Cquoted%E2%80%9D").status_code == 200
    assert client.get("/api/v1/places/?q=San+Jos%C3%A9").status_code == 200


@pytest.mark.parametrize(
    "path", ["/opportunities/feed.rss", "/opportunities/feed.atom", "/opportunities/"]
)
def test_a_control_character_in_a_search_parameter_is_a_400_naming_it(client, path):
    """An ESC typed into a search reached the RSS title, which XML cannot carry: a 500."""
    response = client.get(path, {"q": "water\x1bpolicy"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "the parameter “q”" in html
    assert "control character" in html


def test_tabs_and_line_breaks_in_parameters_and_form_feeds_in_forms_pass(client, states):
    assert client.get("/opportunities/feed.rss", {"q": "water\tpolicy\r\n"}).status_code == 200
    response = client.post("/subscribe/", {"email": "ana@example.com\x0c", "topics": ["climate"]})
    assert response.status_code != 400 or "control character" not in response.content.decode()
