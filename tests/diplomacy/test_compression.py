"""Responses are compressed unless they hold a secret (lib/compression.py); static files are
hashed, precompressed and cached for a year under the production storage."""

import gzip
import re

import brotli
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from tests.factories import ListingFactory

pytestmark = pytest.mark.django_db

DECODERS = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize("coding", ["br", "gzip"])
@pytest.mark.parametrize("url", ["/states/", "/opportunities/", "/opportunities/feed.rss"])
def test_public_responses_are_compressed_and_decode_to_the_same_bytes(client, states, coding, url):
    ListingFactory()
    plain = client.get(url)
    packed = client.get(url, headers={"accept-encoding": coding})
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == coding
    assert "accept-encoding" in packed["Vary"].lower()
    assert len(packed.content) < len(plain.content)
    assert DECODERS[coding](packed.content) == plain.content


def test_brotli_is_preferred_to_gzip(client, states):
    response = client.get("/states/", headers={"accept-encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "br"


def test_a_cached_page_is_kept_per_content_coding(client, states, django_assert_num_queries):
    client.get("/states/")
    client.get("/states/", headers={"accept-encoding": "br"})
    with django_assert_num_queries(0):
        plain = client.get("/states/")
        packed = client.get("/states/", headers={"accept-encoding": "br"})
    assert brotli.decompress(packed.content) == plain.content
    assert packed["ETag"] != plain["ETag"]  # different bytes, different validators


@pytest.mark.parametrize("url", ["/subscribe/", "/solutions/submit/"])
def test_a_response_that_used_the_csrf_token_is_not_compressed(client, states, url):
    response = client.get(url, headers={"accept-encoding": "br, gzip"})
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "Content-Encoding" not in response


def test_staff_pages_are_not_compressed(client, states):
    user = User.objects.create_superuser("admin", "admin@example.gov", "a-long-test-password")
    client.force_login(user)
    for url in ("/admin/", "/opportunities/"):
        response = client.get(url, headers={"accept-encoding": "br, gzip"})
        assert response.status_code == 200
        assert "Content-Encoding" not in response, url


def test_static_files_are_hashed_compressed_and_cached_for_a_year(tmp_path, settings):
    """collectstatic with the production storage, then WhiteNoise as production runs it."""
    settings.STATIC_ROOT = tmp_path
    settings.STATICFILES_DIRS = [settings.BASE_DIR / "static"]  # ours only: quick
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.contrib.staticfiles.storage import staticfiles_storage

    url = staticfiles_storage.url("js/search-filters.js")
    assert re.fullmatch(r"/static/js/search-filters\.[0-9a-f]{12}\.js", url)
    assert (tmp_path / url.removeprefix("/static/")).with_suffix(".js.br").exists()

    with override_settings(DEBUG=False):
        middleware = WhiteNoiseMiddleware(lambda request: None)
        request = RequestFactory().get(url, headers={"accept-encoding": "br"})
        response = middleware(request)
    assert response.status_code == 200
    # WhiteNoise's "forever" for hashed names: ten years (at least one), never revalidated.
    max_age = re.search(r"max-age=(\d+)", response["Cache-Control"])
    assert int(max_age.group(1)) >= 31536000
    assert "immutable" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert response["Content-Encoding"] == "br"
