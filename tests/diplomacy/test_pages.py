import re

import pytest

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/", "/about/", "/opportunities/", "/programs/", "/events/", "/subscribe/", "/states/"
]  # fmt: skip


def test_home_page_leads_each_audience_to_its_starting_point(client):
    html = client.get("/").content.decode()
    assert "Connect your community with the world" in html
    assert 'href="/places/">Find your state or city' in html
    assert 'href="/programs/">Find a program' in html
    assert 'href="/admin/">Staff sign-in' in html


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_pages_have_the_official_banner_navigation_and_skip_link(client, states, url):
    html = client.get(url).content.decode()
    assert "An official website of the United States government" in html
    assert '<a class="usa-skipnav" href="#main-content">' in html
    assert 'id="main-content"' in html
    for label in ["Find opportunities", "For students", "States", "Subscribe", "About"]:
        assert f"<span>{label}</span>" in html


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_pages_have_no_inline_scripts_and_a_strict_policy(client, states, url):
    response = client.get(url)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    # Only files, or JSON-LD data blocks (which browsers never execute).
    assert scripts
    assert all("src=" in attrs or 'type="application/ld+json"' in attrs for attrs in scripts)
    assert not re.search(r"\sstyle=", response.content.decode())
    assert not re.search(r"\son[a-z]+=", response.content.decode())


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/", 3),
        ("/about/", 0),
        ("/programs/", 4),
        ("/events/", 2),
        ("/subscribe/", 3),
        ("/states/", 2),  # the states, their international ties
    ],
)
def test_pages_render_with_few_queries(client, states, url, queries, django_assert_max_num_queries):
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200


def test_spanish_pages_are_translated_and_link_back_to_english(client, states):
    html = client.get("/es/states/").content.decode()
    assert '<html lang="es">' in html
    assert "<span>Buscar oportunidades</span>" in html
    assert 'href="/states/" lang="en"' in html


def test_english_pages_link_to_the_same_page_in_spanish(client, states):
    html = client.get("/states/co/").content.decode()
    assert 'href="/es/states/co/" lang="es"' in html


@pytest.mark.parametrize(
    "path", ["//evil.example", "///evil.example/", "//evil.example/es/", "/es//evil.example"]
)
def test_not_found_page_language_links_stay_on_this_site(client, path):
    # PATH_INFO as a server passes it on; the test client would read "//host" as a host.
    response = client.get("/", PATH_INFO=path)
    assert response.status_code == 404
    links = re.findall(r'href="([^"]*)" lang="', response.content.decode())
    assert links
    for link in links:
        assert link.startswith("/") and not link.startswith(("//", "/\\")), link


def test_not_found_page_from_an_encoded_address_links_to_this_site(client):
    response = client.get("/%2F%2Fevil.example")
    assert response.status_code == 404
    links = re.findall(r'href="([^"]*)" lang="', response.content.decode())
    assert links and all(not link.startswith("//") for link in links), links


def test_server_errors_get_a_styled_page_without_details(rf):
    from diplomacy.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html and "Traceback" not in html


def test_rate_limited_page_says_nothing_was_lost_and_when_to_retry(rf):
    from django_ratelimit.exceptions import Ratelimited

    from diplomacy.views import rate_limited

    response = rate_limited(rf.get("/"), Ratelimited())
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Nothing you sent before has been lost" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/states/", "/opportunities/"])
def test_every_page_links_events_priorities_and_solutions(client, states, url):
    """The two-way channel and the events are reachable from any page (issue #11)."""
    html = client.get(url).content.decode()
    footer = html[html.index('aria-label="Footer navigation"') :]
    for href in ("/events/", "/priorities/", "/solutions/", "/solutions/submit/"):
        assert f'href="{href}"' in footer
    header = html[: html.index("<main")]
    assert 'href="/solutions/"' in header
