"""Priorities: local leaders rank up to five topics for their city or county, and governors'
offices for their whole state; staff see what is asked.

An answer counts once the respondent confirms it through the signed link we email. Each
respondent has one current set per place and one per state (partial UniqueConstraints):
confirming a new answer marks the earlier one replaced in the same transaction, and both stay
for the record. The dashboard rolls each state up: its state-wide answers plus its places'.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cities.models import MAX_PRIORITIES, Place, PriorityRanking, PriorityResponse, State
from lib.bilingual import Translated, columns
from lib.history import record_bulk_history
from lib.mail import absolute_url, send_email
from lib.signed_links import BadLink, LinkKind
from lib.text import fold

# The link also shows the answer later, so it lasts a season.
CONFIRM_LINK = LinkKind("cities.priorities", timedelta(days=90))

# Population bands for the dashboard, smallest first (label, lowest population).
SIZE_BANDS = [
    ("under-10k", _("Under 10,000"), 0),
    ("10k-50k", _("10,000 to 49,999"), 10_000),
    ("50k-250k", _("50,000 to 249,999"), 50_000),
    ("250k-plus", _("250,000 and more"), 250_000),
]
UNKNOWN_BAND = ("unknown", _("Population unknown"))
WHOLE_STATE_BAND = ("state", _("Whole state (governor's office)"))


def token_for(response: PriorityResponse) -> str:
    return CONFIRM_LINK.sign(response.pk)


def response_for_token(token: str) -> PriorityResponse:
    """The answer a signed link points to; BadLink when the link is damaged, too old or its
    answer is gone."""
    pk = CONFIRM_LINK.read(token)[0]
    response = (
        PriorityResponse.objects.select_related("place__state", "state")
        .prefetch_related("rankings__topic")
        .filter(pk=pk)
        .first()
    )
    if response is None:
        raise BadLink("no such answer")
    return response


def submit_priorities(
    *, place: Place | None = None, state: State | None = None, topics: list, **fields
) -> PriorityResponse:
    """Save an answer for a city or county, or for a whole state (not counted until
    confirmed), and email the confirmation link."""
    with transaction.atomic():
        response = PriorityResponse.objects.create(
            place=place, state=state, language=translation.get_language() or "en", **fields
        )
        PriorityRanking.objects.bulk_create(
            PriorityRanking(response=response, topic=topic, rank=rank)
            for rank, topic in enumerate(topics, start=1)
        )
        link = absolute_url(reverse("priorities:confirm", args=[token_for(response)]))
        whole_state = response.state_id is not None
        with translation.override(response.language):
            if whole_state:
                subject = str(_("Confirm your state's priorities"))
            else:
                subject = str(_("Confirm your place's priorities"))
        # Only our own words and the link until the address is confirmed (see
        # cities/solutions.py); queued in the answer's transaction, so both commit or neither.
        send_email(
            "priorities_confirm",
            {"confirm_url": link, "whole_state": whole_state},
            [response.respondent_email],
            subject=subject,
            language=response.language,
            cause=f"cities.priorityresponse:{response.pk}",
        )
    return response


def confirm_priorities(response: PriorityResponse) -> bool:
    """Make the answer the respondent's current set for the place (or the whole state),
    replacing the earlier one. False when it was confirmed already (safe to repeat)."""
    with transaction.atomic():
        locked = PriorityResponse.objects.select_for_update().get(pk=response.pk)
        if locked.confirmed_at is not None:
            return False
        now = timezone.now()
        replaced = list(
            PriorityResponse.objects.select_for_update().filter(
                place_id=locked.place_id,
                state_id=locked.state_id,
                respondent_email=locked.respondent_email,
                is_current=True,
            )
        )
        for earlier in replaced:
            earlier.is_current, earlier.superseded_at = False, now
        PriorityResponse.objects.bulk_update(replaced, ["is_current", "superseded_at"])
        record_bulk_history(replaced, reason="Replaced by a newer answer")
        locked.confirmed_at, locked.is_current = now, True
        locked.save(update_fields=["confirmed_at", "is_current"])
    response.refresh_from_db()
    return True


def _size_band(population_field: str = "response__place__population") -> Case:
    """The population band of the answer's place; state-wide answers have a band of their own."""
    whens = [
        When(response__state__isnull=False, then=Value(WHOLE_STATE_BAND[0])),
        *(
            When(**{f"{population_field}__gte": low}, then=Value(key))
            for key, _label, low in reversed(SIZE_BANDS)
        ),
    ]
    return Case(*whens, default=Value(UNKNOWN_BAND[0]), output_field=CharField())


def band_label(key: str) -> str:
    labels = {k: label for k, label, _low in SIZE_BANDS}
    labels[WHOLE_STATE_BAND[0]] = WHOLE_STATE_BAND[1]
    return str(labels.get(key, UNKNOWN_BAND[1]))


# The state an answer counts for: the whole state answered, or the state of the place answered.
STATE_NAME = Coalesce("response__state__name", "response__place__state__name")


# A topic's name in both languages, for values(): read back with topic_name().
TOPIC_NAME = columns("topic__name")


def topic_name(row: dict) -> Translated:
    """The topic of a values() row, named in the reader's language (else in English, marked)."""
    return Translated.from_row(row, "topic__name")


@dataclass
class Tally:
    label: Translated
    mentions: int
    first_choices: int
    score: int  # five points for a first choice, one for a fifth


def mentions():
    """For the CSV: one row per month, state, size band (or "whole state") and topic of the
    current answers; the topic's name in English (`topic__name`) and in Spanish
    (`topic__name_es`, None when it has none)."""
    rankings = PriorityRanking.objects.filter(response__is_current=True)
    return (
        rankings.annotate(
            month=TruncMonth("response__confirmed_at"), state_name=STATE_NAME, band=_size_band()
        )
        .values("month", "state_name", "band", *TOPIC_NAME)
        .annotate(
            mentions=Count("id"),
            first_choices=Count("id", filter=Q(rank=1)),
            score=Sum(Value(MAX_PRIORITIES + 1) - F("rank"), output_field=IntegerField()),
        )
        .order_by("month", "state_name", "band", "topic__name")
    )


def _counts(rankings, *keys) -> dict:
    """Mentions per combination of the keys and topic, largest first within each combination."""
    rows = rankings.values(*keys, *TOPIC_NAME).annotate(n=Count("id")).order_by()
    grouped: dict = defaultdict(Counter)
    for row in rows:
        grouped[tuple(row[k] for k in keys)][topic_name(row)] += row["n"]
    return {key[0]: _largest_first(counts) for key, counts in grouped.items()}


def _largest_first(counts: Counter) -> list[tuple[Translated, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], fold(str(item[0]))))


@dataclass
class StateRollup:
    """A state's asks: its governor's office's (state-wide answers), its cities' and counties',
    and both together."""

    name: str
    whole_state: list[tuple[Translated, int]]
    places: list[tuple[Translated, int]]
    together: list[tuple[Translated, int]]

    @property
    def columns(self) -> list[list[tuple[Translated, int]]]:
        return [self.whole_state, self.places, self.together]


def _by_state(current) -> list[StateRollup]:
    rows = (
        current.annotate(state_name=STATE_NAME)
        .values("state_name", "response__state_id", *TOPIC_NAME)
        .annotate(n=Count("id"))
        .order_by()
    )
    whole: dict[str, Counter] = defaultdict(Counter)
    places: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        counts = whole if row["response__state_id"] is not None else places
        counts[row["state_name"]][topic_name(row)] += row["n"]
    return [
        StateRollup(
            name,
            _largest_first(whole[name]),
            _largest_first(places[name]),
            _largest_first(whole[name] + places[name]),
        )
        for name in sorted({*whole, *places})
    ]


def dashboard() -> dict:
    """What local leaders ask for: by topic, by state (state-wide answers and the state's
    places, apart and together), by place size (current answers) and by month of confirmation
    (every confirmed answer, replaced ones included). Four small aggregate queries, whatever
    the number of answers."""
    current = PriorityRanking.objects.filter(response__is_current=True)
    topics = [
        Tally(topic_name(row), row["mentions"], row["first_choices"], row["score"])
        for row in current.values(*TOPIC_NAME)
        .annotate(
            mentions=Count("id"),
            first_choices=Count("id", filter=Q(rank=1)),
            score=Sum(Value(MAX_PRIORITIES + 1) - F("rank"), output_field=IntegerField()),
        )
        .order_by()
    ]
    by_band = _counts(current.annotate(band=_size_band()), "band")
    confirmed = PriorityRanking.objects.filter(response__confirmed_at__isnull=False)
    by_month = _counts(confirmed.annotate(month=TruncMonth("response__confirmed_at")), "month")
    band_order = [key for key, _label, _low in SIZE_BANDS] + [UNKNOWN_BAND[0], WHOLE_STATE_BAND[0]]
    return {
        "topics": sorted(topics, key=lambda t: (-t.score, -t.mentions, fold(str(t.label)))),
        "states": _by_state(current),
        "bands": [(band_label(key), by_band[key]) for key in band_order if key in by_band],
        "months": sorted(by_month.items()),
    }


def topic_sources():
    """For peer places: current priorities tie their place to their topics."""
    return [(PriorityRanking.objects.filter(response__is_current=True), "topic", "response__place")]
