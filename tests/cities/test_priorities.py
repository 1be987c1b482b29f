import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from cities.models import Place, PriorityRanking, PriorityResponse, State
from tests.cities.conftest import emailed_path
from tests.factories import PlaceFactory, topic

pytestmark = pytest.mark.django_db


def form_data(**changes) -> dict:
    data = {
        "state": "CO",
        "place_name": "Boulder",
        "topic_1": "climate",
        "topic_2": "housing",
        "topic_3": "",
        "topic_4": "",
        "topic_5": "",
        "comment": "Help us find partners for heat resilience.",
        "respondent_name": "Ana Example",
        "respondent_title": "Mayor",
        "respondent_email": "mayor@boulder.example.gov",
    }
    return {**data, **changes}


def answer(place, email, slugs, confirmed_at, current=True) -> PriorityResponse:
    """A confirmed answer made by hand for the dashboard tests: for a place, or for a whole
    state when given a State."""
    where = {"state": place} if isinstance(place, State) else {"place": place}
    response = PriorityResponse.objects.create(
        **where, respondent_name="R", respondent_email=email,
        confirmed_at=confirmed_at, is_current=current,
    )  # fmt: skip
    for rank, slug in enumerate(slugs, start=1):
        PriorityRanking.objects.create(response=response, topic=topic(slug), rank=rank)
    return response


def test_answer_counts_once_confirmed_and_a_later_one_replaces_it(
    client, boulder, mailbox, settings
):
    settings.SITE_URL = "http://testserver"
    assert client.post("/priorities/", form_data()).status_code == 302
    [message] = mailbox.wait_for(1)
    first = PriorityResponse.objects.get()
    assert not first.is_current and first.confirmed_at is None
    first_link = emailed_path(message)
    page = client.get(first_link).content.decode()
    assert "Confirm these priorities" in page
    client.post(first_link)
    first.refresh_from_db()
    assert first.is_current and first.confirmed_at

    mailbox.clear()
    again = form_data(topic_1="energy", topic_2="", topic_4="waste")
    again["respondent_email"] = "MAYOR@boulder.example.gov"  # the same respondent
    client.post("/priorities/", again)
    [message] = mailbox.wait_for(1)
    client.post(emailed_path(message))
    current = PriorityResponse.objects.get(is_current=True)
    assert [(r.rank, r.topic.slug) for r in current.rankings.all()] == [(1, "energy"), (2, "waste")]
    first.refresh_from_db()
    assert not first.is_current and first.superseded_at  # kept, no longer current
    assert "A newer answer of yours has replaced" in client.get(first_link).content.decode()
    assert PriorityResponse.history.count() >= 4


def test_confirmation_email_repeats_nothing_the_respondent_wrote(
    client, boulder, mailbox, settings
):
    """Until the address is confirmed, anyone could have us mail their words to anyone."""
    settings.SITE_URL = "http://testserver"
    spam = form_data(
        respondent_name="Dear customer, visit https://spam.example/name",
        respondent_title="Call +1 555 0100",
        comment="Cheap offers at https://spam.example/comment",
    )
    assert client.post("/priorities/", spam).status_code == 302
    [message] = mailbox.wait_for(1)
    parts = [message.get_body((kind,)).get_content() for kind in ("plain", "html")]
    text = "\n".join([message["Subject"], *parts])
    for submitted in ("spam.example", "Dear customer", "555 0100", "Boulder", "Climate"):
        assert submitted not in text
    assert "/priorities/confirm/" in emailed_path(message)


def test_confirming_twice_changes_nothing(client, boulder, mailbox, settings):
    settings.SITE_URL = "http://testserver"
    client.post("/priorities/", form_data())
    link = emailed_path(mailbox.wait_for(1)[0])
    client.post(link)
    confirmed_at = PriorityResponse.objects.get().confirmed_at
    client.post(link)
    assert PriorityResponse.objects.get().confirmed_at == confirmed_at


def test_database_keeps_one_current_set_per_place_and_respondent(boulder):
    now = datetime(2026, 1, 5, tzinfo=UTC)
    answer(boulder, "a@example.gov", ["climate"], now)
    answer(boulder, "b@example.gov", ["climate"], now)  # another respondent: fine
    with pytest.raises(IntegrityError):
        answer(boulder, "a@example.gov", ["energy"], now)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topic_1": ""}, "Choose at least your first priority."),
        ({"topic_2": "climate"}, "You chose Climate twice; choose each topic once."),
        ({"topic_3": "made-up"}, "Choose a topic from the list."),
        ({"place_name": "Nowhere"}, "We found no city or county named “Nowhere” in Colorado."),
        ({"respondent_email": ""}, "Enter your email address."),
        ({"comment": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, boulder, mailbox, changes, message):
    response = client.post("/priorities/", form_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PriorityResponse.objects.exists() and not mailbox.messages


def statewide(**changes) -> dict:
    return form_data(
        answer_for="state", place_name="", respondent_email="intl@gov.colorado.example.gov",
        **changes,
    )  # fmt: skip


def test_a_governors_office_answers_for_the_whole_state(client, boulder, mailbox, settings):
    settings.SITE_URL = "http://testserver"
    assert client.post("/priorities/", statewide()).status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Confirm your state's priorities"
    assert "answering for a whole state" in message.get_body(("plain",)).get_content()
    link = emailed_path(message)
    assert "Colorado: the whole state" in client.get(link).content.decode()
    client.post(link)
    response = PriorityResponse.objects.get()
    assert response.is_current and response.place is None
    assert response.state == State.objects.get(usps_code="CO")
    assert "current priorities for this state" in client.get(link).content.decode()


def test_a_new_state_wide_answer_replaces_the_earlier_one_but_not_a_place_answer(
    client, boulder, mailbox, settings
):
    settings.SITE_URL = "http://testserver"
    email = "intl@gov.colorado.example.gov"
    for data in (statewide(), form_data(respondent_email=email), statewide(topic_1="energy")):
        mailbox.clear()
        client.post("/priorities/", data)
        client.post(emailed_path(mailbox.wait_for(1)[0]))
    current = PriorityResponse.objects.filter(is_current=True)
    assert {(r.place_id, r.state_id) for r in current} == {
        (boulder.pk, None),
        (None, boulder.state_id),
    }
    state_wide = current.get(state__isnull=False)
    assert [r.topic.slug for r in state_wide.rankings.all()] == ["energy", "housing"]
    assert PriorityResponse.objects.filter(state__isnull=False, is_current=False).count() == 1


@pytest.mark.parametrize(
    "typed", ["Colorado", "COLORADO", "colorádo", "co", "State of Colorado", " colorado "]
)
def test_the_place_field_accepts_the_state_itself(client, boulder, mailbox, typed):
    data = form_data(place_name=typed)  # no answer_for: the name says it
    assert client.post("/priorities/", data).status_code == 302
    response = PriorityResponse.objects.get()
    assert response.place is None and response.state.usps_code == "CO"


@pytest.mark.parametrize("answer_for", ["", "state"])
def test_the_states_name_alone_answers_for_the_state(client, boulder, mailbox, answer_for):
    data = form_data(state="", answer_for=answer_for, place_name="colorádo")
    assert client.post("/priorities/", data).status_code == 302
    response = PriorityResponse.objects.get()
    assert response.place is None and response.state.usps_code == "CO"


def test_a_city_without_its_state_still_needs_the_state(client, boulder, mailbox):
    response = client.post("/priorities/", form_data(state="", place_name="Boulder"))
    assert response.status_code == 400
    assert "Choose the state or territory of your place." in response.content.decode()
    assert not PriorityResponse.objects.exists()


def test_the_place_field_forgives_accents_and_case(client, boulder, mailbox):
    assert client.post("/priorities/", form_data(place_name="BÓULDER")).status_code == 302
    assert PriorityResponse.objects.get().place == boulder


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"answer_for": "state", "place_name": "Boulder"},
            "place_name",
            "You chose the whole state and also named “Boulder”. Clear the city or county to "
            "answer for all of Colorado, or choose “A city, town or county”.",
        ),
        (
            {"answer_for": "", "place_name": ""},
            "answer_for",
            "Choose what you answer for: a city or county, or the whole state.",
        ),
        (
            {"answer_for": "place", "place_name": "  "},
            "place_name",
            "Enter the name of your city or county, or choose the whole state.",
        ),
        (
            {"answer_for": "country"},
            "answer_for",
            "Choose a city or county, or the whole state.",
        ),
    ],
)
def test_both_or_neither_a_place_and_the_state_is_explained(
    client, boulder, mailbox, changes, field, message
):
    response = client.post("/priorities/", form_data(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'id="{field}-error"' in html or f'id="id_{field}_error"' in html
    assert not PriorityResponse.objects.exists() and not mailbox.messages


def test_database_takes_a_place_or_a_whole_state_never_both_or_neither(boulder):
    now = datetime(2026, 1, 5, tzinfo=UTC)
    for where in ({}, {"place": boulder, "state": boulder.state}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PriorityResponse.objects.create(
                **where, respondent_name="R", respondent_email="a@example.gov"
            )
    answer(boulder.state, "a@example.gov", ["climate"], now)
    answer(boulder, "a@example.gov", ["climate"], now)  # the same respondent for a place: fine
    with pytest.raises(IntegrityError):
        answer(boulder.state, "a@example.gov", ["energy"], now)


def test_state_page_invites_the_governors_office_to_answer_for_the_state(client, boulder):
    html = client.get("/states/co/").content.decode()
    href = re.search(
        r'href="(/priorities/\?state=CO&amp;answer_for=state)" id="statewide-priorities">'
        r"Governor&#x27;s office: tell us the priorities of all of Colorado</a>",
        html,
    ).group(1)
    form = client.get(href.replace("&amp;", "&")).content.decode()
    assert re.search(r'value="state" checked', form)
    assert re.search(r'<option value="CO" selected>', form)


def test_place_page_invites_its_staff_to_answer_for_the_place(client, boulder):
    html = client.get(boulder.get_absolute_url()).content.decode()
    href = re.search(r'href="(/priorities/\?[^"]*)">Tell us your priorities', html).group(1)
    form = client.get(href.replace("&amp;", "&")).content.decode()
    assert re.search(r'value="place" checked', form)
    assert 'value="Boulder"' in form


def test_a_damaged_link_is_refused(client, boulder):
    response = client.post("/priorities/confirm/not-a-token/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


def test_form_is_rate_limited(client, boulder, settings, mailbox):
    settings.PUBLIC_FORM_RATE = "1/h"
    assert client.post("/priorities/", form_data()).status_code == 302
    assert client.post("/priorities/", form_data()).status_code == 429


def test_form_query_count(client, states, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # states, topics
        assert client.get("/priorities/").status_code == 200


@pytest.fixture
def hand_made_answers(states):
    """Three current answers and one replaced one, with known totals."""
    boulder = PlaceFactory(name="Boulder", population=105_000)  # 50k-250k
    town = PlaceFactory(name="Small Town", population=6_000)  # under 10k
    austin = PlaceFactory(
        name="Austin", population=960_000, state=State.objects.get(usps_code="TX")
    )  # 250k+
    jan, feb = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
    answer(boulder, "old@example.gov", ["housing"], jan, current=False)  # replaced
    answer(boulder, "a@example.gov", ["climate", "energy"], jan)
    answer(town, "b@example.gov", ["energy", "climate", "waste"], feb)
    answer(austin, "c@example.gov", ["climate"], feb)
    colorado = State.objects.get(usps_code="CO")
    answer(colorado, "governor@state.co.example.gov", ["waste", "climate"], feb)  # whole state
    return boulder, town, austin


def test_dashboard_totals_match_hand_made_answers(client, curator, hand_made_answers):
    response = client.get("/staff/priorities/")
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="topics-table"') :]
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td class="text-right">(\d+)</td>'
        r'<td class="text-right">(\d+)</td><td class="text-right">(\d+)</td>',
        table,
    )
    # climate: ranks 1, 2, 1, 2 -> 4 mentions, 2 first, 5+4+5+4; energy: ranks 2, 1 -> 4+5;
    # waste: ranks 3, 1 -> 3+5 (the state-wide answer counts like any other)
    assert rows == [
        ("Climate", "4", "2", "18"),
        ("Energy", "2", "1", "9"),
        ("Waste", "2", "1", "8"),
    ]
    assert "Housing" not in table[: table.index("</table>")]  # replaced answers do not count
    states = html[html.index('id="states-heading"') : html.index('id="bands-heading"')]
    # Colorado rolls up: its governor's office's answer, its places' answers, both together
    assert (
        "Colorado</th><td>Climate (1), Waste (1)</td><td>Climate (2), Energy (2), Waste (1)</td>"
        "<td>Climate (3), Energy (2), Waste (2)</td>"
    ) in states
    assert "Texas</th><td>—</td><td>Climate (1)</td><td>Climate (1)</td>" in states
    bands = html[html.index('id="bands-heading"') : html.index('id="months-heading"')]
    assert "Under 10,000</th><td>Climate (1), Energy (1), Waste (1)" in bands
    assert "250,000 and more</th><td>Climate (1)" in bands
    assert "Whole state (governor&#x27;s office)</th><td>Climate (1), Waste (1)" in bands
    months = html[html.index('id="months-heading"') :]
    assert "January 2026</th><td>Climate (1), Energy (1), Housing (1)" in months


def test_dashboard_csv_has_one_row_per_month_state_size_and_topic(
    client, curator, hand_made_answers
):
    response = client.get("/staff/priorities/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 8
    assert {
        "month": "2026-02",
        "state": "Colorado",
        "answered_for": "whole state",
        "place_size": "",
        "topic": "Waste",
        "topic_es": "Residuos",
        "mentions": "1",
        "first_choices": "1",
        "score": "5",
    } in rows
    texas = {
        "month": "2026-02",
        "state": "Texas",
        "answered_for": "place",
        "place_size": "250,000 and more",
    }
    assert {
        **texas,
        "topic": "Climate",
        "topic_es": "Clima",
        "mentions": "1",
        "first_choices": "1",
        "score": "5",
    } in rows


def test_dashboard_query_count_is_constant(
    client, curator, hand_made_answers, django_assert_max_num_queries
):
    boulder = hand_made_answers[0]
    for i in range(20):
        answer(boulder, f"extra{i}@example.gov", ["waste", "housing"], datetime.now(UTC))
    # session, user, two for permissions; by topic, state, size and month
    with django_assert_max_num_queries(8):
        assert client.get("/staff/priorities/").status_code == 200


def test_current_priorities_make_peer_places(client, hand_made_answers):
    boulder, _town, _austin = hand_made_answers
    peer = PlaceFactory(name="Longmont", population=100_000, kind=Place.Kind.CITY)
    answer(peer, "d@example.gov", ["energy"], datetime.now(UTC))
    html = client.get(boulder.get_absolute_url()).content.decode()
    assert "also works on Energy" in html[html.index('id="peers-heading"') :]
