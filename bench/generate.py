"""Synthetic listings for scale tests: realistic text and facets, bulk-loaded with COPY."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from cities.models import Bureau, State
from opportunities.models import Audience, Format, GovernmentLevel, Kind, Listing, Status, Topic

# Word pools with very different frequencies, so searches can pick rare, common and very
# common terms: "program" is in nearly every listing, "partnership" in about a fifth, and each
# place name in the RARE pool in about one listing in a thousand.
VERY_COMMON = "program"
COMMON = "partnership"
RARE = ["tamarind", "quillwort", "zephyrine", "obsidian", "marigold"]
SUBJECTS = ["clean water", "heat resilience", "plastic pollution", "small business exports",
            "digital access", "election administration", "public health data", "housing",
            "port logistics", "youth leadership", "energy efficiency", "migration services",
            "transit planning", "waste recovery", "civic participation",
            "tourism recovery"]  # fmt: skip
FORMS = ["exchange", "grant", "mission", "network", "fellowship", "summit", "internship",
         "challenge", "workshop"]  # fmt: skip
WHO = ["mayors", "county leaders", "state agencies", "students", "small businesses",
       "tribal governments", "city staff", "civil society groups"]  # fmt: skip
SENTENCES = [
    "This {form} helps {who} work on {subject} with peers abroad.",
    "Participants share ideas about {subject} and build lasting ties.",
    "The {form} covers travel costs for selected {who}.",
    "Teams meet online first and then visit partner cities.",
    "It is part of a wider program on {subject}.",
    "Applicants describe a local plan for {subject}.",
]

# The Spanish versions of a share of the listings (issue #15: search in both languages), with
# the same kinds of frequency: "programa" in nearly every Spanish text, "alianza" in about a
# fifth, accented words to find without their accents ("participacion civica").
SPANISH_SHARE = 0.3
VERY_COMMON_ES = "programa"
COMMON_ES = "alianza"
ACCENTED_ES = "participacion civica"  # as typed; the text says "participación cívica"
SUBJECTS_ES = ["agua limpia", "resiliencia al calor", "contaminación por plásticos",
               "exportaciones de pequeñas empresas", "acceso digital",
               "administración electoral", "datos de salud pública", "vivienda",
               "logística portuaria", "liderazgo juvenil", "eficiencia energética",
               "servicios migratorios", "planificación del transporte",
               "recuperación de residuos", "participación cívica",
               "recuperación del turismo"]  # fmt: skip
FORMS_ES = ["intercambio", "subvención", "misión", "red", "beca", "cumbre", "pasantía",
            "desafío", "taller"]  # fmt: skip
WHO_ES = ["alcaldes", "líderes de condado", "agencias estatales", "estudiantes",
          "pequeñas empresas", "gobiernos tribales", "personal municipal",
          "organizaciones de la sociedad civil"]  # fmt: skip
SENTENCES_ES = [
    "Esta iniciativa ({form}) ayuda a {who} a trabajar en {subject} con sus pares en el exterior.",
    "Los participantes comparten ideas sobre {subject} y crean lazos duraderos.",
    "La iniciativa cubre los gastos de viaje de {who} seleccionados.",
    "Los equipos se reúnen primero en línea y luego visitan ciudades hermanas.",
    "Forma parte de un esfuerzo más amplio sobre {subject}.",
    "Quienes se postulan describen un plan local de {subject}.",
]


def _text_es(rng: random.Random) -> tuple[str, str, str]:
    subject, form, who = rng.choice(SUBJECTS_ES), rng.choice(FORMS_ES), rng.choice(WHO_ES)
    title = f"{form.capitalize()} de {subject} para {who}"
    if rng.random() < 0.001 * len(RARE):
        title += f" en {rng.choice(RARE).capitalize()}"
    words = {"subject": subject, "form": form, "who": who}
    summary = " ".join(rng.choice(SENTENCES_ES).format(**words) for _ in range(2))
    body = " ".join(rng.choice(SENTENCES_ES).format(**words) for _ in range(6))
    if rng.random() < 0.97:
        body += f" Parte del {VERY_COMMON_ES}."
    if rng.random() < 0.2:
        summary += f" Una {COMMON_ES} con el Departamento."
    return title, summary, body


# The listing columns the generators fill, in the order of their rows.
COLUMNS = [
    "title", "slug", "kind", "status", "summary", "body", "sponsor", "is_global", "audiences",
    "government_levels", "targets_underserved", "education_levels",
    "us_citizenship_required", "is_paid", "format", "duration", "deadline", "time_zone",
    "location", "apply_url", "apply_contact", "published_at", "created_at", "updated_at",
    "min_population", "max_population",
]  # fmt: skip
# Columns with no database default that a row must still fill (provenance, deadline kind).
REQUIRED_COLUMNS = ["external_id", "upstream", "upstream_digest", "deadline_kind"]
# Eligibility as curators set it: a tenth of listings for a few states, a fifth for places of
# some size, so a chosen place (?place=) leaves out a realistic share.
TARGETED_SHARE, SIZED_SHARE = 0.1, 0.2
SIZES = [(None, 50_000), (10_000, 500_000), (50_000, None), (None, 10_000)]


def _text(rng: random.Random, n: int) -> tuple[str, str, str]:
    subject, form, who = rng.choice(SUBJECTS), rng.choice(FORMS), rng.choice(WHO)
    title = f"{subject.capitalize()} {form} for {who}"
    if rng.random() < 0.001 * len(RARE):
        title += f" in {rng.choice(RARE).capitalize()}"
    words = {"subject": subject, "form": form, "who": who}
    summary = " ".join(rng.choice(SENTENCES).format(**words) for _ in range(2))
    body = " ".join(rng.choice(SENTENCES).format(**words) for _ in range(6))
    if rng.random() < 0.97:
        body += f" Part of the {VERY_COMMON}."
    if rng.random() < 0.2:
        summary += f" A {COMMON} with the Department."
    return title, summary, body


def generate_listings(count: int, seed: int = 7) -> None:
    """Add synthetic published listings until there are `count` in all."""
    existing = Listing.objects.count()
    if existing >= count:
        return
    rng = random.Random(seed + existing)
    now = timezone.now()
    topics = list(Topic.objects.values_list("id", flat=True))
    bureaus = list(Bureau.objects.values_list("id", flat=True))
    states = list(State.objects.values_list("id", flat=True))
    kinds, formats = Kind.values, Format.values
    table = Listing._meta.db_table
    batch = 5000
    with tqdm(total=count - existing, desc="Generating listings", unit="listing") as progress:
        for start in range(existing, count, batch):
            rows = []
            for n in range(start, min(start + batch, count)):
                title, summary, body = _text(rng, n)
                deadline = (
                    now + timedelta(days=rng.randint(1, 400)) if rng.random() < 0.85 else None
                )
                published = now - timedelta(minutes=n)
                low, high = rng.choice(SIZES) if rng.random() < SIZED_SHARE else (None, None)
                rows.append((
                    title, f"bench-{n}", rng.choice(kinds), Status.PUBLISHED, summary, body,
                    "U.S. Department of State", rng.random() < 0.2,
                    "{" + rng.choice(Audience.values) + "}",
                    "{" + ",".join(rng.sample(GovernmentLevel.values, rng.randint(0, 2))) + "}",
                    rng.random() < 0.15, "{}", rng.random() < 0.5, rng.random() < 0.4,
                    rng.choice(formats), "", deadline, "America/New_York", "",
                    f"https://example.gov/bench/{n}", "", published, published, published,
                    low, high,
                    "", "{}", "", "confirmed" if deadline else "rolling",
                ))  # fmt: skip
            with connection.cursor() as cursor:
                columns = ", ".join([*COLUMNS, *REQUIRED_COLUMNS])
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"SELECT id FROM {table} WHERE slug = ANY(%s)", [[r[1] for r in rows]]
                )
                ids = [row[0] for row in cursor.fetchall()]
                topics_table = Listing.topics.through._meta.db_table
                bureaus_table = Listing.bureaus.through._meta.db_table
                with cursor.copy(f"COPY {topics_table} (listing_id, topic_id) FROM STDIN") as copy:
                    for listing_id in ids:
                        for topic_id in rng.sample(topics, rng.randint(1, 3)):
                            copy.write_row((listing_id, topic_id))
                with cursor.copy(
                    f"COPY {bureaus_table} (listing_id, bureau_id) FROM STDIN"
                ) as copy:
                    for listing_id in ids:
                        copy.write_row((listing_id, rng.choice(bureaus)))
                states_table = Listing.target_states.through._meta.db_table
                with cursor.copy(f"COPY {states_table} (listing_id, state_id) FROM STDIN") as copy:
                    for listing_id in ids:
                        if rng.random() < TARGETED_SHARE:
                            for state_id in rng.sample(states, rng.randint(1, 3)):
                                copy.write_row((listing_id, state_id))
            progress.update(len(rows))
    add_spanish(seed)


def add_spanish(seed: int = 7) -> None:
    """Give SPANISH_SHARE of the generated listings a Spanish title, summary and body (and
    their English columns, which a raw COPY leaves empty), unless done before: one UPDATE per
    batch, so a database generated before issue #15 gets them too."""
    table = Listing._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE slug LIKE 'bench-%%' AND title_en IS NULL ORDER BY id"
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return
    rng = random.Random(seed)
    batch = 5000
    with tqdm(total=len(ids), desc="Spanish texts", unit="listing") as progress:
        for start in range(0, len(ids), batch):
            rows = []
            for listing_id in ids[start : start + batch]:
                spanish = _text_es(rng) if rng.random() < SPANISH_SHARE else (None, None, None)
                rows.append((listing_id, *spanish))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""UPDATE {table} AS l SET title_en = l.title, summary_en = l.summary,
                    body_en = l.body, title_es = v.title_es, summary_es = v.summary_es,
                    body_es = v.body_es
                    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                    AS v(id, title_es, summary_es, body_es) WHERE l.id = v.id""",  # noqa: S608
                    [list(column) for column in zip(*rows, strict=True)],
                )
            progress.update(len(rows))
    with connection.cursor() as cursor:
        # The update left a dead version of every row: vacuumed, as autovacuum would do on a
        # live site, or the first benchmark run reads through them (some pages six times slower).
        cursor.execute(f"VACUUM (ANALYZE) {table}")
