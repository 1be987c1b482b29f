"""The two-way channel at scale: profiles with peers, the solutions library, the staff
dashboards, against the one-query baseline view.

Synthetic data (made once, with a progress bar): a third of all places in one of 40 city
networks, SOLUTIONS published local solutions and PRIORITIES confirmed priorities answers.
"""

import os
import random
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.test import Client
from tqdm import tqdm

from bench.harness import BASELINE, report, run_pages
from cities.models import (
    LocalSolution,
    NetworkMembership,
    Place,
    PriorityRanking,
    PriorityResponse,
    SolutionStatus,
)
from opportunities.models import Topic

SOLUTIONS = int(os.environ.get("BENCH_SOLUTIONS", "20000"))
PRIORITIES = int(os.environ.get("BENCH_PRIORITIES", "10000"))
WORDS = ["compost", "solar", "transit", "water", "heat", "plastic", "refill", "housing", "trade"]


def generate() -> None:
    if LocalSolution.objects.exists():
        return
    rng = random.Random(5)  # the same data every run
    places = list(Place.objects.values_list("pk", flat=True))
    topics = list(Topic.objects.values_list("pk", flat=True))
    NetworkMembership.objects.bulk_create(
        NetworkMembership(place_id=pk, network=f"Network {rng.randrange(40)}") for pk in places[::3]
    )
    now = datetime.now(UTC)
    for start in tqdm(range(0, SOLUTIONS, 2000), desc="local solutions", unit="batch"):
        LocalSolution.objects.bulk_create(
            LocalSolution(
                place_id=rng.choice(places),
                topic_id=rng.choice(topics),
                title=" ".join(rng.sample(WORDS, 3)).capitalize(),
                description=" ".join(rng.choices(WORDS, k=60)),
                results=" ".join(rng.choices(WORDS, k=30)),
                contact_name="Bench",
                contact_email="bench@example.gov",
                status=SolutionStatus.PUBLISHED,
                published_at=now - timedelta(minutes=i),
            )  # fmt: skip
            for i in range(start, min(start + 2000, SOLUTIONS))
        )
    answered = rng.sample(places, min(PRIORITIES, len(places)))
    for start in tqdm(range(0, len(answered), 2000), desc="priorities", unit="batch"):
        responses = PriorityResponse.objects.bulk_create(
            PriorityResponse(
                place_id=pk,
                respondent_name="Bench",
                respondent_email="bench@example.gov",
                confirmed_at=now - timedelta(days=rng.randrange(365)),
                is_current=True,
            )  # fmt: skip
            for pk in answered[start : start + 2000]
        )
        PriorityRanking.objects.bulk_create(
            PriorityRanking(response=response, topic_id=topic, rank=rank)
            for response in responses
            for rank, topic in enumerate(rng.sample(topics, 5), start=1)
        )


def main() -> None:
    generate()
    member = NetworkMembership.objects.filter(place__population__gt=50_000).first().place
    pages = {
        BASELINE: "/bench/baseline/",
        f"city profile with peers {member.get_absolute_url()}": member.get_absolute_url(),
        "solutions library /solutions/": "/solutions/",
        "solutions, words + topic + state": "/solutions/?q=compost+solar&topic=climate&state=CA",
        "solutions, page 50": "/solutions/?page=50",
        "state map by places with ties": "/states/?metric=ties",
        "staff: reach dashboard": "/staff/reach/",
        "staff: gaps, page 20": "/staff/reach/gaps/?page=20",
        "staff: priorities dashboard": "/staff/priorities/",
    }
    staff = User.objects.filter(username="bench-staff").first() or User.objects.create_superuser(
        "bench-staff", "bench@example.gov", None
    )
    client = Client()
    client.force_login(staff)
    data = (
        f"{Place.objects.count():,} places, {LocalSolution.objects.count():,} solutions, "
        f"{PriorityResponse.objects.count():,} priorities answers"
    )
    report("Two-way channel", data, run_pages(pages, client=client))
