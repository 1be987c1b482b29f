"""Every response says which browser features no page of the portal may use."""

import pytest

pytestmark = pytest.mark.django_db

DENIED = [
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "serial",
    "bluetooth",
    "display-capture",
    "browsing-topics",
    "interest-cohort",
]


def denies_every_feature(response) -> bool:
    policy = response.headers["Permissions-Policy"]
    return all(f"{feature}=()" in policy for feature in DENIED)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),  # a page
        ("/es/about/", 200),
        ("/api/v1/states/", 200),  # the API
        ("/api/v1/schema/", 200),
        ("/no-such-page/", 404),  # error pages
        ("/api/v1/no-such-endpoint/", 404),
        ("/states/%00/", 400),
        ("/about", 301),  # a redirect
    ],
)
def test_every_response_denies_the_browser_features_the_portal_never_uses(
    client, states, url, status
):
    response = client.get(url)
    assert response.status_code == status
    assert denies_every_feature(response)


def test_a_static_file_has_it_too(client, settings):
    # As in development: WhiteNoise finds the file in the source folders, not in STATIC_ROOT.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.streaming  # answered by WhiteNoise, before any view
    assert denies_every_feature(response)


def test_a_server_error_page_has_it_too(client, monkeypatch):
    from diplomacy import health

    def broken():
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(health, "check_all", broken)
    client.raise_request_exception = False
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert denies_every_feature(response)
