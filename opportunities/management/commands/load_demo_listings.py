"""Load the demo content set: real, public programs, networks and events, in our own words."""

import json
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.text import slugify

from opportunities import importing, publishing
from opportunities.models import Listing, Status
from opportunities.search import listings_changed

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "listings.json"


# Not an importer column (the CSV format is shared with exports): set after the import.
NOT_IMPORTED = ("open_to_all_fields",)


def _as_row(item: dict) -> dict:
    return {
        key: "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in item.items()
        if key not in NOT_IMPORTED
    }


def _add_spanish(items: list[dict], existing: set[str]) -> int:
    """Spanish texts in the file that listings loaded earlier lack: added (never replacing a
    curator's translation). Returns how many listings gained some."""
    updated = 0
    by_slug = {slugify(item["title"])[:200]: item for item in items}
    wanted = {slug: item for slug, item in by_slug.items() if slug in existing}
    for listing in Listing.objects.filter(slug__in=wanted):
        item = wanted[listing.slug]
        changed = False
        for column in importing.SPANISH_COLUMNS:
            if item.get(column) and not getattr(listing, column):
                setattr(listing, column, item[column])
                changed = True
        if changed:
            listing._change_reason = "Demo: Spanish text added"
            listing.save()
            updated += 1
    return updated


def _mark_open_to_all_fields(items: list[dict]) -> None:
    """Programs whose stated requirements name no field of study (listings loaded before too)."""
    slugs = [slugify(item["title"])[:200] for item in items if item.get("open_to_all_fields")]
    if Listing.objects.filter(slug__in=slugs, open_to_all_fields=False).update(
        open_to_all_fields=True
    ):
        listings_changed()


class Command(BaseCommand):
    help = (
        "Publish the demo listings (opportunities/demo/listings.json). Safe to run again: "
        "listings already loaded are left as they are. A yearly cycle's past dates move forward "
        "by whole years (its deadline is then expected, not confirmed); past events and "
        "listings marked closed are archived."
    )

    def handle(self, *args, verbosity, **options):
        try:
            items = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {DEMO_FILE}: {error}") from error
        existing = set(Listing.objects.values_list("slug", flat=True))
        new_items = [item for item in items if slugify(item["title"])[:200] not in existing]
        rows = [_as_row(demo_row(item)) for item in new_items]
        translated = _add_spanish(items, existing)
        if translated:
            self.stdout.write(f"Demo listings: Spanish text added to {translated} listing(s).")
        if not rows:
            _mark_open_to_all_fields(items)
            self.stdout.write(f"Demo listings: all {len(items)} already loaded.")
            return
        report = importing.import_rows(rows, status=Status.PUBLISHED)
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(report.summary())
        _mark_open_to_all_fields(items)
        closed_titles = {item["title"] for item in new_items if item.get("closed")}
        publishing.archive(
            [listing for listing in report.created if listing.title in closed_titles],
            None,
            reason="Demo: this listing is about a past event",
        )
        archived = publishing.archive_expired_listings()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo listings: {len(report.created)} published "
                f"({len(closed_titles) + archived} of them archived as past), "
                f"{len(items) - len(rows)} already loaded."
            )
        )


DEMO_ONLY_KEYS = ("cycle", "closed")


def demo_row(item: dict, today=None) -> dict:
    """The importer's row of a demo item: a yearly cycle rolled forward, demo keys dropped."""
    if item.get("cycle") == "yearly":
        item = roll_forward(item, today)
    return {key: value for key, value in item.items() if key not in DEMO_ONLY_KEYS}


def roll_forward(item: dict, today=None) -> dict:
    """Move a past cycle's dates forward by whole years until the last date is ahead."""
    today = today or timezone.localdate()
    fields = ["opens_at", "deadline", "starts_at", "ends_at"]
    dates = {f: datetime.fromisoformat(item[f]).date() for f in fields if item.get(f)}
    if not dates:
        return item
    years = 0
    while max(dates.values()) + timedelta(days=365 * years) < today:
        years += 1
    if not years:
        return item
    moved = dict(item)
    for name, day in dates.items():
        try:
            moved[name] = day.replace(year=day.year + years).isoformat()
        except ValueError:  # 29 February
            moved[name] = (day.replace(day=28, year=day.year + years)).isoformat()
    return moved
