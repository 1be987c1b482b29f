"""A local HTTP server playing Grants.gov and feed publishers, serving the recorded responses
in fixtures/ (see fixtures/README.md) over real HTTP."""

import json
from pathlib import Path

import pytest
from werkzeug import Request, Response

from opportunities.models import Listing, Source, SourceKind

FIXTURES = Path(__file__).parent / "fixtures"
API = "/v1/api"


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def feed_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def snapshot() -> list[tuple]:
    """Everything a sync may change, to compare before and after a failed run."""
    fields = ["pk", "status", "title", "deadline", "updated_at", "last_checked_at", "upstream"]
    return list(Listing.objects.order_by("pk").values_list(*fields))


class GrantsGov:
    """search2 and fetchOpportunity on the local server; tests edit `hits` and `details`."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.search = recorded("search2.json")
        self.details = {
            350001: recorded("fetch_350001.json"),
            350002: recorded("fetch_350002.json"),
        }
        self.requests: list[Request] = []
        self.install()

    def install(self) -> None:
        """(Again, after a test cleared the server's handlers.)"""
        self.server.expect_request(f"{API}/search2", method="POST").respond_with_handler(
            self.search2
        )
        self.server.expect_request(f"{API}/fetchOpportunity", method="POST").respond_with_handler(
            self.fetch_opportunity
        )

    @property
    def hits(self) -> list[dict]:
        return self.search["data"]["oppHits"]

    def set_hits(self, hits: list[dict]) -> None:
        self.search["data"]["oppHits"] = hits
        self.search["data"]["hitCount"] = len(hits)

    def synopsis(self, opportunity_id: int) -> dict:
        return self.details[opportunity_id]["data"]["synopsis"]

    def search2(self, request: Request) -> Response:
        self.requests.append(request)
        start = request.get_json().get("startRecordNum", 0)
        page = {**self.search["data"], "oppHits": self.hits[start : start + 100]}
        return Response(json.dumps({**self.search, "data": page}), content_type="application/json")

    def fetch_opportunity(self, request: Request) -> Response:
        self.requests.append(request)
        answer = self.details[request.get_json()["opportunityId"]]
        return Response(json.dumps(answer), content_type="application/json")


@pytest.fixture
def sources_settings(settings, httpserver):
    settings.GRANTS_GOV_API_URL = httpserver.url_for(API)
    settings.GRANTS_GOV_OPPORTUNITY_URL = "https://www.grants.gov/search-results-detail/{id}"
    settings.SOURCES_REQUEST_INTERVAL = 0
    settings.SOURCES_TIMEOUT = 2
    settings.SOURCES_RETRY_BACKOFF = 300
    return settings


@pytest.fixture
def grants_gov(sources_settings, httpserver):
    return GrantsGov(httpserver)


@pytest.fixture
def grants_source(db):
    source, _ = Source.objects.update_or_create(
        name="Grants.gov",
        defaults={
            "kind": SourceKind.GRANTS_GOV,
            "enabled": True,
            "query": {"agencies": ["DOS", "USTDA"], "keywords": ["sister city"]},
            "mapping": {
                "kind": "funding",
                "audiences": ["local_government"],
                "topics": ["trade-and-investment"],
                "rules": [{"match": "climate", "topics": ["climate"]}],
            },
        },
    )
    return source


@pytest.fixture
def feed_source(db, sources_settings, httpserver):
    def make(path: str, **fields) -> Source:
        return Source.objects.create(
            name=fields.pop("name", f"Feed {path}"),
            kind=SourceKind.FEED,
            endpoint=httpserver.url_for(path),
            enabled=True,
            **fields,
        )

    return make
