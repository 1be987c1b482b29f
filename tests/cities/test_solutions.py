import re

import pytest

from cities import solutions
from cities.models import LocalSolution, Place, SolutionStatus, State
from tests.cities.conftest import emailed_path
from tests.factories import PlaceFactory, topic

pytestmark = pytest.mark.django_db


def form_data(**changes) -> dict:
    data = {
        "state": "CO",
        "place_name": "boulder",
        "topic": "pollution-and-plastics",
        "title": "Refill stations instead of plastic bottles",
        "description": "We put 40 refill stations in parks and schools.",
        "results": "Bottle waste in parks fell by a third in a year.",
        "contact_name": "Ana Example",
        "contact_email": "Ana@Example.gov",
    }
    return {**data, **changes}


def make_solution(place, status=SolutionStatus.PUBLISHED, **fields) -> LocalSolution:
    defaults = {
        "topic": topic("climate"),
        "title": "Solar on every school",
        "description": "Panels on 12 schools.",
        "results": "Lower bills.",
        "contact_name": "Ana",
        "contact_email": "ana@example.gov",
        "status": status,
    }
    solution = LocalSolution.objects.create(place=place, **{**defaults, **fields})
    if status == SolutionStatus.PUBLISHED:
        solutions.after_move(solution)
    return solution


def test_submission_waits_for_the_emailed_confirmation(client, boulder, mailbox, settings):
    settings.SITE_URL = "http://testserver"
    response = client.post("/solutions/submit/", form_data())
    assert response.status_code == 302 and response["Location"] == "/solutions/submit/sent/"
    solution = LocalSolution.objects.get()
    assert solution.place == boulder and solution.contact_email == "ana@example.gov"
    assert solution.status == SolutionStatus.UNCONFIRMED

    [message] = mailbox.wait_for(1)
    assert message["To"] == "ana@example.gov"
    link = emailed_path(message)
    page = client.get(link).content.decode()
    assert "Waiting for email confirmation" in page and "Confirm my submission" in page

    assert client.post(link).status_code == 302
    solution.refresh_from_db()
    assert solution.status == SolutionStatus.NEW and solution.confirmed_at
    page = client.get(link).content.decode()
    assert "confirmed and sent to" in page and ">New<" in page


def all_text(message) -> str:
    """Subject, plain-text and HTML parts of a message, for looking for submitted text."""
    parts = [message.get_body((kind,)).get_content() for kind in ("plain", "html")]
    return "\n".join([message["Subject"], *parts])


def test_confirmation_email_repeats_nothing_the_submitter_wrote(client, boulder, mailbox, settings):
    """Until the address is confirmed, anyone could have us mail their words to anyone."""
    settings.SITE_URL = "http://testserver"
    spam = form_data(
        title="Win a prize at https://spam.example/win",
        description="Visit https://spam.example/description now.",
        results="Results at https://spam.example/results",
        contact_name="Dear customer, call +1 555 0100",
    )
    assert client.post("/solutions/submit/", spam).status_code == 302
    [message] = mailbox.wait_for(1)
    text = all_text(message)
    for submitted in ("spam.example", "Win a prize", "Dear customer", "555 0100", "Boulder"):
        assert submitted not in text
    assert "/solutions/status/" in emailed_path(message)


def test_unconfirmed_submissions_are_not_shown_to_staff(client, boulder, curator):
    make_solution(boulder, SolutionStatus.UNCONFIRMED, title="Not yet confirmed")
    make_solution(boulder, SolutionStatus.NEW, title="Confirmed one")
    html = client.get("/admin/cities/localsolution/").content.decode()
    assert "Confirmed one" in html and "Not yet confirmed" not in html


def test_staff_publish_and_the_solution_appears_publicly(
    client, boulder, curator, mailbox, django_capture_on_commit_callbacks
):
    solution = make_solution(boulder, SolutionStatus.NEW)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/cities/localsolution/",
            {"action": "publish", "_selected_action": [solution.pk]},
        )
    assert response.status_code == 302
    solution.refresh_from_db()
    assert solution.status == SolutionStatus.PUBLISHED and solution.published_at
    [message] = mailbox.wait_for(1)
    assert "is now published" in message.get_body(("plain",)).get_content()
    assert "Solar on every school" in client.get("/solutions/").content.decode()
    profile = client.get(boulder.get_absolute_url()).content.decode()
    assert "Solar on every school" in profile[profile.index('id="solutions-heading"') :]
    state = client.get("/states/co/").content.decode()
    assert "Solar on every school" in state[state.index('id="solutions-heading"') :]
    latest = solution.history.latest()
    assert latest.status == SolutionStatus.PUBLISHED and latest.history_user == curator
    history = client.get(f"/admin/cities/localsolution/{solution.pk}/history/")
    assert history.status_code == 200 and "curator" in history.content.decode()


def change_form(solution, **changes) -> dict:
    return {
        "status": solution.status,
        "decline_reason": "",
        "topic": solution.topic.pk,
        "title": solution.title,
        "description": solution.description,
        "results": solution.results,
        **changes,
    }


def test_declining_needs_a_reason_which_is_emailed(
    client, boulder, curator, mailbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    solution = make_solution(boulder, SolutionStatus.UNDER_REVIEW)
    url = f"/admin/cities/localsolution/{solution.pk}/change/"
    response = client.post(url, change_form(solution, status="declined"))
    assert response.status_code == 200
    assert "Say why the solution is declined" in response.content.decode()
    solution.refresh_from_db()
    assert solution.status == SolutionStatus.UNDER_REVIEW and not mailbox.messages

    reason = "It describes a plan, not something already done."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, change_form(solution, status="declined", decline_reason=reason))
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert reason in message.get_body(("plain",)).get_content()
    status_page = client.get(emailed_path(message)).content.decode()
    assert "Declined" in status_page and reason in status_page
    client.logout()
    assert client.get(solution.get_absolute_url()).status_code == 404


def test_staff_cannot_skip_back_from_declined_to_new(client, boulder, curator):
    solution = make_solution(boulder, SolutionStatus.DECLINED, decline_reason="Off topic")
    response = client.post(
        f"/admin/cities/localsolution/{solution.pk}/change/", change_form(solution, status="new")
    )
    assert "cannot become “New”" in response.content.decode()


def test_the_public_cannot_triage(client, boulder):
    solution = make_solution(boulder, SolutionStatus.NEW)
    response = client.get(f"/admin/cities/localsolution/{solution.pk}/change/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"state": ""}, "Choose the state or territory of your place."),
        ({"state": "XX"}, "Choose a state or territory from the list."),
        ({"place_name": "Bouldr"}, "We found no city or county named “Bouldr” in Colorado."),
        ({"topic": "astrology"}, "Choose a topic from the list."),
        ({"title": ""}, "Give the solution a title."),
        ({"description": "x" * 5001}, "Ensure this value has at most 5000 characters"),
        ({"contact_email": "not-an-address"}, "Enter an email address like name@example.gov."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, boulder, mailbox, changes, message):
    response = client.post("/solutions/submit/", form_data(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html and "Please correct what is marked below" in html
    assert not LocalSolution.objects.exists() and not mailbox.messages


def test_place_lookup_suggests_similar_names(client, boulder):
    PlaceFactory(name="Boulder County", kind=Place.Kind.COUNTY)
    response = client.post("/solutions/submit/", form_data(place_name="Bould"))
    assert "Did you mean: Boulder" in response.content.decode()


def test_submissions_are_rate_limited(client, boulder, settings, mailbox):
    settings.PUBLIC_FORM_RATE = "2/h"
    for _ in range(2):
        assert client.post("/solutions/submit/", form_data()).status_code == 302
    response = client.post("/solutions/submit/", form_data())
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert LocalSolution.objects.count() == 2


def test_the_limit_counts_each_email_address_and_each_client_apart(
    client, boulder, settings, mailbox
):
    settings.PUBLIC_FORM_RATE = "1/h"
    submit = client.post
    assert submit("/solutions/submit/", form_data(), REMOTE_ADDR="192.0.2.1").status_code == 302
    # The same address from another client is over its limit...
    same_email = submit("/solutions/submit/", form_data(), REMOTE_ADDR="192.0.2.2")
    assert same_email.status_code == 429
    # ...while someone else, from a third client, is not held up by either.
    other = form_data(contact_email="bo@example.gov")
    assert submit("/solutions/submit/", other, REMOTE_ADDR="192.0.2.3").status_code == 302
    assert LocalSolution.objects.count() == 2


def test_a_damaged_or_forged_link_is_refused(client, boulder):
    solution = make_solution(boulder, SolutionStatus.UNCONFIRMED)
    token = solutions.token_for(solution)
    for bad in [token[:-2] + "xx", "1", "nothing-here"]:
        response = client.post(f"/solutions/status/{bad}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    solution.refresh_from_db()
    assert solution.status == SolutionStatus.UNCONFIRMED


def test_library_searches_words_and_filters_by_topic_and_state(client, boulder):
    make_solution(boulder, title="Refill stations", description="Bottles in parks",
                  topic=topic("pollution-and-plastics"))  # fmt: skip
    make_solution(boulder, title="Solar schools", description="Panels on roofs")
    austin = PlaceFactory(name="Austin", state=State.objects.get(usps_code="TX"))
    make_solution(austin, title="Cool roofs", description="Reflective roofs downtown")
    make_solution(boulder, SolutionStatus.NEW, title="Unpublished roofs")

    def titles(**params):
        html = client.get("/solutions/", params).content.decode()
        return sorted(re.findall(r'class="usa-link" href="/solutions/\d+/">([^<]+)<', html))

    assert titles() == ["Cool roofs", "Refill stations", "Solar schools"]
    assert titles(q="roof") == ["Cool roofs", "Solar schools"]  # stemming: roofs
    assert titles(topic="pollution-and-plastics") == ["Refill stations"]
    assert titles(state="TX") == ["Cool roofs"]
    assert titles(q="roofs", state="CO") == ["Solar schools"]


def test_library_reports_bad_filters(client, boulder):
    make_solution(boulder)
    response = client.get("/solutions/", {"topic": "nonsense", "q": "x" * 300})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some of your choices could not be used" in html and "Topic:" in html
    assert "Solar on every school" in html


def test_library_query_count_is_constant(client, boulder, django_assert_max_num_queries):
    for i in range(30):
        make_solution(boulder, title=f"Solution {i}")
    with django_assert_max_num_queries(4):  # topics, states, count, page
        response = client.get("/solutions/", {"q": "solar", "state": "CO"})
    assert response.status_code == 200
    detail = LocalSolution.objects.first().get_absolute_url()
    with django_assert_max_num_queries(1):
        assert client.get(detail).status_code == 200


def test_submit_page_query_count(client, states, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # states, topics
        assert client.get("/solutions/submit/").status_code == 200


def test_published_solutions_make_peer_places(client, boulder):
    make_solution(boulder, topic=topic("waste"))
    fort_collins = PlaceFactory(name="Fort Collins", population=170_000)
    make_solution(fort_collins, topic=topic("waste"))
    html = client.get(boulder.get_absolute_url()).content.decode()
    assert "also works on Waste" in html[html.index('id="peers-heading"') :]
