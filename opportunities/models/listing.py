"""Listings: every kind of opportunity and program in one model.

One table serves all eleven kinds. The fields every kind shares (what, who, when, where, how
to apply) are columns; the eligibility rules of the two big audiences (local governments and
students) are columns too, left empty where they do not apply. Kind-specific behaviour (events
have start and end dates, student programs have ages and education levels) lives in forms,
validation and templates, not in separate tables, so one search, one filter set and one feed
cover everything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.postgres.aggregates import BoolOr
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.models import Bureau, Country, Place, State
from opportunities import dates

SEARCH_CONFIG = "english"
# Spanish text is indexed with the Spanish stemmer after its accents are folded (the SQL
# function fold_accents, migration 0017), so "economia" finds "economía" and "agua" "aguas".
SPANISH_SEARCH_CONFIG = "spanish"


class FoldAccents(models.Func):
    """fold_accents(text): the text without the accents of Spanish (and other Latin) letters,
    an IMMUTABLE SQL function, so a generated column may use it (unaccent() may not)."""

    function = "fold_accents"
    output_field = models.TextField()


def spanish_or_english(field: str):
    """The field's Spanish text, or its English text (the original column, which always holds
    the English: lib/bilingual.py) when there is no Spanish."""
    return Coalesce(NullIf(f"{field}_es", Value("")), field, Value(""))


# Sorting by deadline puts rolling listings (no deadline) last, as if due at the end of time.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    is_priority = models.BooleanField(
        _("Department priority"),
        default=False,
        help_text=_("Priorities (climate, democracy) are highlighted on the home page."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    TRADE_LEAD = "trade_lead", _("Trade lead")
    INVESTMENT = "investment", _("Investment opportunity")
    TRADE_MISSION = "trade_mission", _("Trade mission")
    CITY_NETWORK = "city_network", _("City network")
    PARTNERSHIP = "partnership", _("Public–private partnership")
    EVENT = "event", _("Event")
    FUNDING = "funding", _("Funding or grant")
    EXCHANGE = "exchange", _("Exchange program")
    INTERNSHIP = "internship", _("Internship")
    FELLOWSHIP = "fellowship", _("Fellowship")
    VIRTUAL_INTERNSHIP = "virtual_internship", _("Virtual internship")


STUDENT_KINDS = [Kind.EXCHANGE, Kind.INTERNSHIP, Kind.FELLOWSHIP, Kind.VIRTUAL_INTERNSHIP]


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class DeadlineKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    EXPECTED = "expected", _("Expected (projected from the past cycle)")
    ROLLING = "rolling", _("Rolling (no deadline)")


class Audience(models.TextChoices):
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    BUSINESS = "business", _("Business")
    STUDENTS = "students", _("Students")
    CIVIL_SOCIETY = "civil_society", _("Civil society")


class GovernmentLevel(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    STATE = "state", _("State")
    TRIBAL = "tribal", _("Tribal")
    TERRITORY = "territory", _("Territory")


class EducationLevel(models.TextChoices):
    HIGH_SCHOOL = "high_school", _("High school")
    UNDERGRADUATE = "undergraduate", _("Undergraduate")
    GRADUATE = "graduate", _("Graduate")
    RECENT_GRADUATE = "recent_graduate", _("Recent graduate")


class Format(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIRTUAL = "virtual", _("Virtual")
    HYBRID = "hybrid", _("Hybrid")


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names (available_timezones() walks the zone folders at every call)."""
    return frozenset(available_timezones())


LEVEL_PLURALS = {
    GovernmentLevel.CITY: _("cities"),
    GovernmentLevel.COUNTY: _("counties"),
    GovernmentLevel.STATE: _("states"),
    GovernmentLevel.TRIBAL: _("tribal governments"),
    GovernmentLevel.TERRITORY: _("territories"),
}


def _list_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            _("“%(value)s” is not a time zone; use a name such as America/New_York."),
            params={"value": value},
        )


def choice_array(choices, verbose_name):
    return ArrayField(
        models.CharField(max_length=20, choices=choices),
        default=list,
        blank=True,
        verbose_name=verbose_name,
    )


class ListingQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def open(self, now=None):
        """Published and still open at this moment (not at the archiving task's next run): the
        deadline has not passed, and an event has not ended (or, with no end, not started)."""
        now = now or timezone.now()
        return self.published().filter(
            Q(deadline__isnull=True) | Q(deadline__gte=now),
            Q(ends_at__isnull=True) | Q(ends_at__gte=now),
            ~Q(kind=Kind.EVENT, ends_at__isnull=True, starts_at__lt=now),
        )

    def closed(self, now=None):
        """Published listings whose deadline passed or whose event ended."""
        now = now or timezone.now()
        return self.published().exclude(pk__in=self.open(now).values("pk"))

    def expected_deadline_passed(self, now=None):
        """Published listings whose projected deadline passed without being confirmed: the
        curators' list of cycles to check on the official sites."""
        now = now or timezone.now()
        return self.published().filter(deadline_kind=DeadlineKind.EXPECTED, deadline__lt=now)

    def closing_soon(self, days: int = 14, now=None):
        now = now or timezone.now()
        return self.open(now).filter(deadline__lte=now + timedelta(days=days)).order_by("deadline")

    def for_state(self, state: State):
        """Listings for every US place, or for the given state in particular.

        One correlated subquery per listing, `COALESCE((SELECT bool_or(state_id = …) FROM its
        target states), true)`: no target state gives NULL, so true. Not a join, so no DISTINCT
        and pages still read straight from the sort index; and not NOT EXISTS … OR EXISTS …,
        which PostgreSQL turned into a hash of every listing's target states, built on each
        search before its first row (a few milliseconds that grow with the table)."""
        through = Listing.target_states.through
        fits = (
            through.objects.filter(listing_id=OuterRef("pk"))
            .order_by()
            .values("listing_id")
            .annotate(
                fits=BoolOr(ExpressionWrapper(Q(state_id=state.pk), output_field=BooleanField()))
            )
            .values("fits")
        )
        return self.filter(Coalesce(Subquery(fits, output_field=BooleanField()), Value(True)))

    def with_targeted(self):
        """Each listing's `targeted`: whether it names target states (what Listing.fit_for
        reads), one EXISTS per listing instead of loading the states themselves."""
        through = Listing.target_states.through
        return self.annotate(targeted=Exists(through.objects.filter(listing_id=OuterRef("pk"))))

    def for_place(self, place: Place | State):
        """Listings whose eligibility fits the place: its state among the target states (or
        none named), its level of government among the levels (or none named), and, for a
        city or county, its population within the range. A state is its own government (a
        territory's level is "territory"); GeoNames gives states no population."""
        if isinstance(place, State):
            levels = [place.government_level]
            if place.kind == State.Kind.DISTRICT:  # DC's mayor is also its governor
                levels.append(GovernmentLevel.CITY)
            return self.for_state(place).filter(
                Q(government_levels=[]) | Q(government_levels__overlap=levels)
            )
        population = place.population or 0
        return (
            self.for_state(place.state)
            .filter(
                Q(government_levels=[]) | Q(government_levels__contains=[place.government_level])
            )
            .filter(Q(min_population__isnull=True) | Q(min_population__lte=population))
            .filter(Q(max_population__isnull=True) | Q(max_population__gte=population))
        )

    def related_to(self, listing: Listing):
        """Open listings like this one: sharing topics, kind or audience, on the same side
        (student programs with student programs, local leaders' listings with theirs) unless
        nothing else fits, and open to the places this one is open to."""
        topics = Listing.topics.through.objects.filter(
            listing_id=OuterRef("pk"), topic_id__in=listing.topics.values("id")
        )
        same = [Q(Exists(topics)), Q(kind=listing.kind)]
        if listing.audiences:
            same.append(Q(audiences__overlap=listing.audiences))
        student = Q(kind__in=STUDENT_KINDS)
        same_side = student if listing.is_student_program else ~student
        shared = Q()
        for condition in same:
            shared |= condition
        candidates = self.open().exclude(pk=listing.pk).filter(shared)
        states = [state.pk for state in listing.target_states.all()]
        if states:
            through = Listing.target_states.through
            candidates = candidates.filter(
                ~Exists(through.objects.filter(listing_id=OuterRef("pk")))
                | Exists(through.objects.filter(listing_id=OuterRef("pk"), state_id__in=states))
            )
        if listing.government_levels:
            candidates = candidates.filter(
                Q(government_levels=[]) | Q(government_levels__overlap=listing.government_levels)
            )
        score = sum((models.Case(models.When(c, then=1), default=0) for c in same), models.Value(0))
        return candidates.annotate(
            same_side=models.Case(models.When(same_side, then=1), default=0),
            likeness=score,
        ).order_by("-same_side", "-likeness", F("deadline").asc(nulls_last=True), "-id")

    def for_student(
        self,
        *,
        education_level: str = "",
        us_citizen: bool | None = None,
        age: int | None = None,
        paid_only: bool = False,
        formats: list[str] | None = None,
    ):
        """Programs a student may apply for, found by audience and eligibility, not by kind:
        a scholarship filed as funding (Gilman, Boren) is for students when its audience says
        so; a student kind with no audience named counts too (an exchange for mayors does not)."""
        qs = self.filter(
            Q(audiences__contains=[Audience.STUDENTS]) | Q(kind__in=STUDENT_KINDS, audiences=[])
        )
        if education_level:
            qs = qs.filter(Q(education_levels=[]) | Q(education_levels__contains=[education_level]))
        if us_citizen is False:
            qs = qs.filter(us_citizenship_required=False)
        if age is not None:
            qs = qs.filter(Q(min_age__isnull=True) | Q(min_age__lte=age)).filter(
                Q(max_age__isnull=True) | Q(max_age__gte=age)
            )
        if paid_only:
            qs = qs.filter(is_paid=True)
        if formats:
            qs = qs.filter(format__in=formats)
        return qs


def many_to_many(relation: str, model=None):
    """The through model of a many-to-many relation of Listing (or another model), with its two
    column names."""
    field = getattr(model or Listing, relation).field
    return field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()


class Listing(models.Model):
    """A published (or draft) opportunity: what it is, who may apply, when and how."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=220, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(
        _("summary"), max_length=600, help_text=_("One or two plain sentences: what and for whom.")
    )
    body = models.TextField(_("details"), blank=True, help_text=_("Markdown."))
    sponsor = models.CharField(_("sponsor"), max_length=200)
    topics = models.ManyToManyField(Topic, related_name="listings", verbose_name=_("topics"))

    # Where abroad: regional bureaus and countries, or the whole world.
    is_global = models.BooleanField(_("global"), default=False)
    bureaus = models.ManyToManyField(
        Bureau, blank=True, related_name="listings", verbose_name=_("regions")
    )
    countries = models.ManyToManyField(
        Country, blank=True, related_name="listings", verbose_name=_("countries")
    )

    audiences = choice_array(Audience.choices, _("audiences"))
    # Local-government eligibility.
    government_levels = choice_array(GovernmentLevel.choices, _("government levels"))
    min_population = models.PositiveIntegerField(_("minimum population"), null=True, blank=True)
    max_population = models.PositiveIntegerField(_("maximum population"), null=True, blank=True)
    targets_underserved = models.BooleanField(_("targets underserved communities"), default=False)
    target_states = models.ManyToManyField(
        State,
        blank=True,
        related_name="listings",
        verbose_name=_("only for these states"),
        help_text=_("Leave empty when the listing is open to every US place."),
    )
    # Student eligibility.
    education_levels = choice_array(EducationLevel.choices, _("education levels"))
    us_citizenship_required = models.BooleanField(_("US citizenship required"), default=False)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    is_paid = models.BooleanField(_("paid or with a stipend"), default=False)
    open_to_all_fields = models.BooleanField(
        _("open to students of every field"),
        default=False,
        db_default=False,  # rows written by COPY (bulk loads, benchmarks) need no value
        help_text=_("Tick when no field of study or major is required; the student finder then "
                    "shows it whatever field a student chooses."),
    )  # fmt: skip
    format = models.CharField(
        _("format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON
    )
    duration = models.CharField(_("duration"), max_length=60, blank=True)

    # Key dates, typed and shown in the listing's time zone (opportunities/dates.py); an empty
    # deadline means applications are accepted on a rolling basis.
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    deadline_kind = models.CharField(
        _("deadline is"),
        max_length=10,
        choices=DeadlineKind.choices,
        default=DeadlineKind.CONFIRMED,
        help_text=_(
            "Confirmed: announced for this cycle. Expected: projected from the past cycle "
            "(shown as a month, “check the official site”). Rolling: no deadline."
        ),
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=60,
        default="America/New_York",
        validators=[validate_time_zone],
    )
    location = models.CharField(_("location"), max_length=200, blank=True)

    apply_url = models.URLField(_("how to apply (web address)"), max_length=500, blank=True)
    apply_contact = models.CharField(_("how to apply (contact)"), max_length=200, blank=True)

    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_("Publish automatically at this time, once the listing has been approved."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    # Provenance of listings imported from a public source (opportunities/sources/): the
    # source, its stable key for the item, and what it last said (to show staff differences).
    source = models.ForeignKey(
        "opportunities.Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="listings",
        verbose_name=_("source"),
        editable=False,
    )
    external_id = models.CharField(
        _("key at the source"), max_length=200, blank=True, editable=False
    )
    fetched_at = models.DateTimeField(_("fetched"), null=True, blank=True, editable=False)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True, editable=False)
    upstream = models.JSONField(default=dict, blank=True, editable=False)
    upstream_digest = models.CharField(max_length=64, blank=True, editable=False)

    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("sponsor", "body", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # The Spanish search (pages under /es/): every listing, in its Spanish words where it has
    # them and its English ones where not, so that names and untranslated listings are found too.
    search_vector_es = models.GeneratedField(
        expression=SearchVector(
            FoldAccents(spanish_or_english("title")), weight="A", config=SPANISH_SEARCH_CONFIG
        )
        + SearchVector(
            FoldAccents(spanish_or_english("summary")), weight="B", config=SPANISH_SEARCH_CONFIG
        )
        + SearchVector(
            FoldAccents("sponsor"),
            FoldAccents(spanish_or_english("body")),
            weight="C",
            config=SPANISH_SEARCH_CONFIG,
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ListingQuerySet.as_manager()
    # The change history (`Listing.history`, django-simple-history) is registered in
    # opportunities/translation.py, after the Spanish and English columns exist, so that it
    # records both languages.

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        permissions = [
            ("submit_listing", _("Can submit listings for review")),
            ("publish_listing", _("Can publish and archive listings")),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="listing_search_vector"),
            GinIndex(fields=["search_vector_es"], name="listing_search_vector_es"),
            # Keyset pages of published listings, newest first or closing soonest first.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="listing_newest",
                condition=Q(status="published"),
            ),
            models.Index(
                Coalesce("deadline", Value(NO_DEADLINE)),
                "id",
                name="listing_closing",
                condition=Q(status="published"),
            ),
            models.Index(fields=["status", "publish_at"], name="listing_scheduled"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(source__isnull=False),
                name="listing_one_per_source_item",
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(deadline__gte=models.F("opens_at")),
                name="listing_deadline_after_opening",
                violation_error_message=_("The deadline must be after the opening date."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True, deadline_kind="rolling")
                | (Q(deadline__isnull=False) & ~Q(deadline_kind="rolling")),
                name="listing_rolling_has_no_deadline",
                violation_error_message=_(
                    "A rolling listing has no deadline; a confirmed or expected one needs one."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gte=models.F("starts_at")),
                name="listing_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(max_population__isnull=True)
                | Q(min_population__isnull=True)
                | Q(max_population__gte=models.F("min_population")),
                name="listing_population_range",
                violation_error_message=_("The maximum population must be at least the minimum."),
            ),
            models.CheckConstraint(
                condition=Q(max_age__isnull=True)
                | Q(min_age__isnull=True)
                | Q(max_age__gte=models.F("min_age")),
                name="listing_age_range",
                violation_error_message=_("The maximum age must be at least the minimum age."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.normalize_dates()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("opportunities:detail", args=[self.slug])

    def normalize_dates(self) -> None:
        """No deadline means rolling, whatever was chosen; an event without an end lasts until
        the end of its first day (the importer calls this, as it does not call save)."""
        if self.deadline is None:
            self.deadline_kind = DeadlineKind.ROLLING
        if self.kind == Kind.EVENT and self.starts_at and not self.ends_at:
            self.starts_at = self._meta.get_field("starts_at").to_python(self.starts_at)
            start = dates.local(self.starts_at, self.time_zone)
            self.ends_at = dates.whole_day(start.date(), self.time_zone, end=True)

    def clean(self):
        if self.deadline and self.deadline_kind == DeadlineKind.ROLLING:
            raise ValidationError(
                {"deadline_kind": _("A rolling listing has no deadline: empty the deadline.")}
            )
        if not self.apply_url and not self.apply_contact:
            raise ValidationError(_("Say how to apply: a web address, a contact, or both."))
        if self.ends_at and not self.starts_at:
            raise ValidationError({"starts_at": _("Give the start date too.")})

    @property
    def audience_labels(self) -> list[str]:
        return [Audience(v).label for v in self.audiences if v in Audience.values]

    @property
    def government_level_labels(self) -> list[str]:
        return [
            GovernmentLevel(v).label for v in self.government_levels if v in GovernmentLevel.values
        ]

    @property
    def education_level_labels(self) -> list[str]:
        return [
            EducationLevel(v).label for v in self.education_levels if v in EducationLevel.values
        ]

    def fit_for(self, place: Place | State) -> str:
        """One line on why the listing fits the place: "Open to cities of 10,000–500,000 in
        Idaho". Needs `targeted` annotated (ListingQuerySet.with_targeted) or target_states
        prefetched, or costs a query."""
        state = place if isinstance(place, State) else place.state
        targeted = getattr(self, "targeted", None)
        if targeted is None:
            targeted = bool(self.target_states.all())
        where = _("in %(state)s") % {"state": state.name} if targeted else _("anywhere in the US")
        if (
            not self.government_levels
            and self.min_population is None
            and self.max_population is None
        ):
            if self.is_student_program or Audience.STUDENTS in self.audiences:
                return _("Open to students %(where)s") % {"where": where}
            return _("Open to every place %(where)s") % {"where": where}
        who = _list_words(
            [str(LEVEL_PLURALS[v]) for v in self.government_levels if v in LEVEL_PLURALS]
        )
        who = who or str(_("places"))
        low, high = self.min_population, self.max_population
        if low is not None and high is not None:
            size = _("of %(low)s–%(high)s") % {"low": f"{low:,}", "high": f"{high:,}"}
        elif low is not None:
            size = _("of %(low)s or more") % {"low": f"{low:,}"}
        elif high is not None:
            size = _("of up to %(high)s") % {"high": f"{high:,}"}
        else:
            size = _("of any size")
        return _("Open to %(who)s %(size)s %(where)s") % {"who": who, "size": size, "where": where}

    @property
    def is_student_program(self) -> bool:
        return self.kind in STUDENT_KINDS

    @property
    def is_event_over(self) -> bool:
        now = timezone.now()
        if self.ends_at is not None:
            return self.ends_at < now
        return self.kind == Kind.EVENT and self.starts_at is not None and self.starts_at < now

    @property
    def is_open(self) -> bool:
        """The same rule as ListingQuerySet.open(), for one listing."""
        return (
            self.status == Status.PUBLISHED
            and (self.deadline is None or self.deadline >= timezone.now())
            and not self.is_event_over
        )

    @property
    def has_firm_deadline(self) -> bool:
        return self.deadline is not None and self.deadline_kind == DeadlineKind.CONFIRMED

    @property
    def has_expected_deadline(self) -> bool:
        return self.deadline is not None and self.deadline_kind == DeadlineKind.EXPECTED

    @property
    def days_left(self) -> int | None:
        if self.deadline is None:
            return None
        return max((self.deadline - timezone.now()).days, 0)
