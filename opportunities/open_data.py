"""Open-data pages: the calendar and CSV export of any search, the bulk downloads and the page
that documents them (/about/data/). The JSON API is in opportunities.api; the RSS and Atom
feeds in opportunities.feeds."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opportunities import calendars, exports
from opportunities.api.auth import ClientAddressThrottle
from opportunities.api.params import read_listing_search
from opportunities.api.views import MAX_PAGE_SIZE
from opportunities.feeds import bad_search_request
from opportunities.filters import Sort
from opportunities.importing import COLUMNS, SPANISH_COLUMNS
from opportunities.models import Source

CALENDAR_LIMIT = 1000


class ExportThrottle(ClientAddressThrottle):
    """A whole export or search calendar costs seconds of database time, so each address gets a
    few a minute (both together)."""

    cache_format = "throttle:export:%(ident)s"

    def get_rate(self):
        return settings.EXPORT_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"ident": self.get_ident(request)}


def _too_many_exports(request) -> HttpResponse | None:
    throttle = ExportThrottle()
    if throttle.allow_request(request, None):
        return None
    wait = max(int(throttle.wait() or 1), 1)
    response = HttpResponse(
        _("Too many exports from your address; try again in %(seconds)d seconds.\n")
        % {"seconds": wait},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response


def search_calendar(request):
    """Deadlines and events of a search's results, for calendar apps to subscribe to."""
    filterset, problems = read_listing_search(request.GET)
    if problems:
        return bad_search_request(problems)
    # A calendar costs as much as an export (up to 1,000 listings), so it counts as one.
    if too_many := _too_many_exports(request):
        return too_many
    text = filterset.form.cleaned_data.get("q") or ""
    listings = exports.search_listings(filterset, text, Sort.CLOSING, limit=CALENDAR_LIMIT)
    dated = (listing for listing in listings if listing.deadline or listing.starts_at)
    response = HttpResponse(
        calendars.listing_calendar(dated, request), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="opportunities.ics"'
    return response


def search_csv(request):
    """Every result of a search as CSV in the importer's columns, streamed page by page."""
    filterset, problems = read_listing_search(request.GET)
    if problems:
        return bad_search_request(problems)
    if too_many := _too_many_exports(request):
        return too_many
    cleaned = filterset.form.cleaned_data
    listings = exports.search_listings(filterset, cleaned.get("q") or "", cleaned.get("sort") or "")
    response = StreamingHttpResponse(
        exports.csv_lines(listings), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="opportunities.csv"'
    return response


PERIODS = {1: gettext_lazy("second"), 60: gettext_lazy("minute"), 3600: gettext_lazy("hour"),
           86400: gettext_lazy("day")}  # fmt: skip


def _rate(rate: str) -> dict:
    """A rate such as 60/minute as words for people: 60 (requests) per minute."""
    count, seconds = ExportThrottle().parse_rate(rate)
    return {"count": count, "period": PERIODS[seconds]}


def data_page(request):
    return render(
        request,
        "opportunities/open_data.html",
        {
            "downloads": _downloads(),
            "columns": [*COLUMNS.items(), *SPANISH_COLUMNS.items()],
            "row_limit": exports.EXPORT_ROW_LIMIT,
            "export_rate": _rate(settings.EXPORT_RATE),
            "anonymous_rate": _rate(settings.API_RATE_ANONYMOUS),
            "key_rate": _rate(settings.API_RATE_WITH_KEY),
            "max_page_size": MAX_PAGE_SIZE,
            "license": exports.LICENSE,
            "sources": Source.objects.order_by("name"),
        },
    )


def _downloads() -> list[dict]:
    written = exports.bulk_file_info()
    return [
        {"label": "CSV", "url": reverse("bulk_csv"), "file": written.get("csv")},
        {"label": "JSON", "url": reverse("bulk_json"), "file": written.get("json")},
    ]


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def bulk_download(request, fmt):
    info = exports.bulk_file_info().get(fmt)
    if info is None:
        raise Http404("The bulk download has not been written yet; try again within the hour.")
    path = Path(settings.OPEN_DATA_DIR) / info["name"]
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=info["name"], content_type=CONTENT_TYPES[fmt]
    )
    response["Last-Modified"] = http_date(info["written_at"].timestamp())
    return response
