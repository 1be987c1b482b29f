"""Students find programs by audience and eligibility, keep all-field programs when choosing a
field, and get digests that respect their answers."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.digests.matching import Preferences, matching_listings
from opportunities.models import Audience, EducationLevel, Kind, Role
from tests.factories import ListingFactory, topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs(states):
    return {
        "gilman": ListingFactory(
            title="Gilman Scholarship",
            kind=Kind.FUNDING,
            audiences=[Audience.STUDENTS],
            education_levels=[EducationLevel.UNDERGRADUATE],
            topics=[topic("education-and-culture")],
            open_to_all_fields=True,
        ),
        "fulbright": ListingFactory(
            title="Fulbright Student",
            kind=Kind.EXCHANGE,
            audiences=[Audience.STUDENTS],
            education_levels=[EducationLevel.UNDERGRADUATE, EducationLevel.GRADUATE],
            topics=[topic("education-and-culture")],
            open_to_all_fields=True,
        ),
        "climate": ListingFactory(
            title="Climate internship",
            kind=Kind.INTERNSHIP,
            audiences=[Audience.STUDENTS],
            topics=[topic("climate")],
        ),
        "high_school": ListingFactory(
            title="High school exchange",
            kind=Kind.EXCHANGE,
            audiences=[Audience.STUDENTS],
            education_levels=[EducationLevel.HIGH_SCHOOL],
            topics=[topic("housing")],
        ),
        "graduate": ListingFactory(
            title="Graduate fellowship",
            kind=Kind.FELLOWSHIP,
            audiences=[Audience.STUDENTS],
            education_levels=[EducationLevel.GRADUATE],
        ),
        "mayors": ListingFactory(
            title="Exchange for mayors", kind=Kind.EXCHANGE, audiences=[Audience.LOCAL_GOVERNMENT]
        ),
    }


def shown(client, **answers):
    response = client.get(reverse("programs"), answers)
    return {listing.title for listing in response.context["listings"]}


def test_undergraduates_see_scholarships_filed_as_funding(client, programs):
    found = shown(client, education_level="undergraduate")
    assert {"Gilman Scholarship", "Fulbright Student", "Climate internship"} <= found
    assert not found & {"High school exchange", "Graduate fellowship", "Exchange for mayors"}


def test_choosing_a_field_keeps_programs_open_to_all_fields(client, programs):
    found = shown(client, field="climate")
    assert {"Climate internship", "Gilman Scholarship", "Fulbright Student"} <= found
    assert "High school exchange" not in found


def test_email_me_these_carries_the_answers(client, programs):
    html = client.get(
        reverse("programs"), {"education_level": "undergraduate", "us_citizen": "yes", "age": 20}
    ).content.decode()
    assert "role=student&amp;education_level=undergraduate&amp;us_citizen=yes&amp;age=20" in html
    form = client.get(
        reverse("subscribe"),
        {"role": "student", "education_level": "undergraduate", "us_citizen": "yes", "age": "20"},
    ).context["form"]
    assert form.initial["education_level"] == "undergraduate"
    assert form.initial["age"] == 20 and form.initial["role"] == "student"


def test_subscribing_keeps_the_student_answers(client, programs, mailbox):
    from opportunities.models import Subscription

    client.post(
        reverse("subscribe"),
        {
            "email": "student@example.edu",
            "role": "student",
            "education_level": "undergraduate",
            "us_citizen": "yes",
            "age": "20",
            "frequency": "weekly",
        },
    )
    subscription = Subscription.objects.get()
    assert (subscription.education_level, subscription.us_citizen, subscription.age) == (
        "undergraduate",
        True,
        20,
    )


def test_an_undergraduates_digest_leaves_out_other_levels(programs):
    preferences = Preferences(
        role=Role.STUDENT,
        topic_ids=(topic("climate").pk,),
        bureau_ids=(),
        kinds=(),
        state_id=None,
        place_id=None,
        education_level=EducationLevel.UNDERGRADUATE,
    )
    since = timezone.now() - timedelta(days=1)
    titles = set(
        matching_listings(preferences, since, timezone.now()).values_list("title", flat=True)
    )
    assert titles == {"Gilman Scholarship", "Fulbright Student", "Climate internship"}
