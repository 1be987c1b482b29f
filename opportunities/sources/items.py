"""What an adapter hands to the sync: one `Item` per upstream entry, with the listing fields
upstream speaks for, and the helpers that turn upstream text into ours."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime

import nh3

# The listing fields an upstream item sets. Everything else (topics, regions, audiences, the
# student fields, staff notes) is set once from the source's mapping and then left to staff.
UPSTREAM_FIELDS = [
    "title",
    "summary",
    "body",
    "sponsor",
    "opens_at",
    "deadline",
    "starts_at",
    "ends_at",
    "time_zone",
    "location",
    "apply_url",
    "government_levels",
]
DATE_FIELDS = {"opens_at", "deadline", "starts_at", "ends_at"}


@dataclass
class Item:
    external_id: str
    fields: dict
    # Words the source's mapping rules look at: the title and the item's categories.
    labels: str = ""
    # Upstream says it is closed, withdrawn or cancelled.
    closed: bool = False
    # How staff see where it came from: "Grants.gov, opportunity DOS-ABC-26-001".
    provenance: str = ""
    # A fingerprint of what upstream sent for it (feeds: the entry's own bytes); computed from
    # the fields when empty.
    digest: str = ""
    # Upstream sent exactly what it sent before: nothing to read or compare.
    unchanged: bool = False


@dataclass
class ItemProblem:
    external_id: str
    message: str

    def as_dict(self) -> dict:
        return {"item": self.external_id, "problem": self.message}


@dataclass
class Fetched:
    """Everything one run read, before anything is written."""

    items: list[Item] = field(default_factory=list)
    problems: list[ItemProblem] = field(default_factory=list)
    # True when the result is the source's whole current list, so an item missing from it has
    # been withdrawn (Grants.gov); feeds only show their latest entries.
    complete: bool = False
    not_modified: bool = False
    digest: str = ""
    etag: str = ""
    last_modified: str = ""


_BLOCK_END = re.compile(r"(?i)</(p|div|li|h[1-6]|tr)>|<br\s*/?>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def plain_text(markup: str) -> str:
    """Upstream HTML as plain paragraphs: every tag removed by nh3, entities decoded."""
    if not markup:
        return ""
    text = _BLOCK_END.sub("\n\n", markup)
    text = html.unescape(nh3.clean(text, tags=set()))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def shorten(text: str, limit: int) -> str:
    """The first sentences of `text` that fit in `limit` characters (cut at a word otherwise)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    sentence_end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if sentence_end > limit // 3:
        return cut[: sentence_end + 1]
    return cut.rsplit(" ", 1)[0] + "…"


def to_json(value):
    """A field's value as it is kept in `Listing.upstream` (dates as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def from_json(name: str, value):
    if name in DATE_FIELDS and value:
        return datetime.fromisoformat(value)
    return value
