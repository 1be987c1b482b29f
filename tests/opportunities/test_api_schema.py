"""Schemathesis generates requests from the API's own OpenAPI schema (valid and invalid
parameters alike) and checks every response against it with all of its checks."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from cities.models import State
from tests.factories import ListingFactory, PlaceFactory, topic

EXAMPLES_PER_OPERATION = 40


@pytest.fixture
def api_schema(states, settings):
    # Generous limits: this test is about the schema, not about throttling.
    settings.API_RATE_ANONYMOUS = "100000/minute"
    ListingFactory(title="Clean water for coastal towns", topics=[topic("water-and-sanitation")])
    ListingFactory(kind="event", starts_at="2030-05-01T10:00Z", is_global=True)
    PlaceFactory(state=State.objects.get(usps_code="CO"))
    # As Django's test client does: the test's database connection (and its transaction)
    # must outlive each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_api_response_conforms_to_the_schema(api_schema, mode):
    if mode == GenerationMode.POSITIVE:
        # A cursor is opaque: only one copied from a `next` link is valid, and no generator
        # can guess one (a made-up cursor gets a 400, tested in test_api.py).
        @api_schema.hook
        def filter_query(context, query):
            return not query or "cursor" not in query

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {
        f"/api/v1/{path}" for path in (
            "", "listings/", "listings/{slug}/", "states/", "states/{usps_code}/",
            "places/", "places/{id}/",
        )
    }  # fmt: skip
    for operation in operations:
        if mode == GenerationMode.NEGATIVE and not any(operation.iter_parameters()):
            continue  # nothing to get wrong (the API root)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # Every check schemathesis has, as configured by default. Its WSGI transport sends
            # requests' default Accept-Encoding but does not decode: ask for the plain bytes
            # (compression is tested in tests/diplomacy/test_compression.py).
            case.call_and_validate(headers={"Accept-Encoding": "identity"})

        check()
