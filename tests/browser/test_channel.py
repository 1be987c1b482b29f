"""The two-way channel in a real browser: local solutions and priorities from the form to the
public pages and the staff dashboards, with the confirmation links read from the SMTP server."""

import re

import pytest
from django.contrib.auth.models import User

from cities import solutions
from cities.models import (
    Country,
    LocalSolution,
    NetworkMembership,
    SisterCity,
    SolutionStatus,
    State,
)
from tests.browser.conftest import axe_violations
from tests.conftest import ensure_curation_data
from tests.factories import ListingFactory, PlaceFactory, topic

PASSWORD = "a-long-test-password"


@pytest.fixture
def channel(transactional_db, live_server, states, settings):
    ensure_curation_data()
    settings.SITE_URL = live_server.url  # links in emails lead to this server
    boulder = PlaceFactory(name="Boulder", population=105_000)
    SisterCity.objects.create(
        place=boulder, city="Yamagata", country=Country.objects.get(iso_code="JP")
    )
    NetworkMembership.objects.create(place=boulder, network="ICLEI", since=2010)
    peer = PlaceFactory(name="Fort Collins", population=170_000)
    NetworkMembership.objects.create(place=peer, network="ICLEI")
    PlaceFactory(name="Pueblo", population=111_000, is_underserved=True)
    ListingFactory(title="Climate grant for cities")
    User.objects.create_superuser("staffer", "staffer@example.gov", PASSWORD)
    return live_server.url


def emailed_link(mailbox, address) -> str:
    mailbox.wait_for(1)
    [message] = mailbox.to(address)
    return re.search(r"(http://\S+)", message.get_body(("plain",)).get_content()).group(1)


def sign_in(page, portal, next_path):
    page.goto(f"{portal}/admin/login/?next={next_path}")
    page.get_by_label("Username").fill("staffer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")
    forget_admin_favicon(page)


def forget_admin_favicon(page):
    """Admin pages name no icon, so Chromium asks for /favicon.ico and logs the 404."""
    page.errors[:] = [e for e in page.errors if "404 (Not Found)" not in e]


def check_page(page, status=200):
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []
    # A page answered with 400 on purpose (bad input) is the one error Chromium may log.
    expected = [f"status of {status}"] if status != 200 else []
    assert [e for e in page.errors if not any(x in e for x in expected)] == []


def test_a_local_solution_from_submission_to_the_public_library(page, channel, mailbox):
    page.goto(channel + "/solutions/submit/")
    check_page(page)
    page.get_by_label("State or territory").select_option(label="Colorado")
    page.get_by_label("City or county").fill("boulder")
    page.get_by_label("Topic").select_option(label="Pollution and plastics")
    page.get_by_label("Title").fill("Refill stations instead of plastic bottles")
    page.get_by_label("What was done").fill("We put 40 refill stations in parks and schools.")
    page.get_by_label("Results").fill("Bottle waste in parks fell by a third.")
    page.get_by_label("Your name").fill("Ana Example")
    page.get_by_label("Your email address").fill("ana@example.gov")
    page.get_by_role("button", name="Send the solution").click()
    page.wait_for_url("**/solutions/submit/sent/")
    check_page(page)

    page.goto(emailed_link(mailbox, "ana@example.gov"))
    assert page.locator("#solution-status").inner_text() == "Waiting for email confirmation"
    check_page(page)
    page.get_by_role("button", name="Confirm my submission").click()
    page.wait_for_function("document.querySelector('#solution-status').innerText === 'New'")
    check_page(page)

    sign_in(page, channel, "/admin/cities/localsolution/")
    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Publish the selected solutions"
    )
    page.get_by_role("button", name="Go").click()
    assert "1 solution is published." in page.locator(".messagelist").inner_text()
    forget_admin_favicon(page)

    page.goto(channel + "/solutions/?q=bottles&state=CO")
    check_page(page)
    page.get_by_role("link", name="Refill stations instead of plastic bottles").click()
    assert page.locator("h1").inner_text() == "Refill stations instead of plastic bottles"
    check_page(page)
    page.get_by_role("link", name="Boulder, Colorado").click()
    solutions_section = page.locator("#solutions")
    assert "Refill stations instead of plastic bottles" in solutions_section.inner_text()
    assert LocalSolution.objects.get().status == SolutionStatus.PUBLISHED


def test_priorities_from_the_form_to_the_staff_dashboard(page, channel, mailbox):
    page.goto(channel + "/priorities/")
    check_page(page)
    page.get_by_label("State or territory").select_option(label="Colorado")
    page.get_by_label("City or county").fill("Boulder")
    page.get_by_label("First priority").select_option(label="Climate")
    page.get_by_label("Second priority").select_option(label="Housing")
    page.get_by_label("Your name").fill("Ana Example")
    page.get_by_label("Your email address").fill("mayor@example.gov")
    page.get_by_role("button", name="Send our priorities").click()
    page.wait_for_url("**/priorities/sent/")
    check_page(page)

    page.goto(emailed_link(mailbox, "mayor@example.gov"))
    check_page(page)
    page.get_by_role("button", name="Confirm these priorities").click()
    page.wait_for_selector("#priorities-status")
    check_page(page)

    sign_in(page, channel, "/staff/priorities/")
    check_page(page)
    row = page.locator("#topics-table tbody tr").first
    assert row.locator("th").inner_text() == "Climate"
    assert row.locator("td").all_inner_texts() == ["1", "1", "5"]


def test_a_governors_office_answers_for_the_whole_state_from_the_state_page(page, channel, mailbox):
    page.goto(channel + "/states/co/")
    page.get_by_role(
        "link", name="Governor's office: tell us the priorities of all of Colorado"
    ).click()
    check_page(page)
    assert page.get_by_label("The whole state (governor's office)").is_checked()
    page.get_by_label("City or county").fill("Boulder")  # both: explained, nothing sent
    page.get_by_role("button", name="Send our priorities").click()
    assert (
        "You chose the whole state and also named “Boulder”"
        in page.get_by_role("alert").inner_text()
    )
    check_page(page, status=400)
    page.errors.clear()  # the 400 above was expected; what follows must log nothing
    page.get_by_label("City or county").fill("")
    page.get_by_label("First priority").select_option(label="Housing")
    page.get_by_label("Your name").fill("Gil Example")
    page.get_by_label("Your email address").fill("intl@colorado.example.gov")
    page.get_by_role("button", name="Send our priorities").click()
    page.wait_for_url("**/priorities/sent/")
    page.goto(emailed_link(mailbox, "intl@colorado.example.gov"))
    assert "Colorado: the whole state" in page.locator("main").inner_text()
    page.get_by_role("button", name="Confirm these priorities").click()
    page.wait_for_selector("#priorities-status")
    check_page(page)

    sign_in(page, channel, "/staff/priorities/")
    check_page(page)
    row = page.locator("#states-table tbody tr").first
    assert row.locator("th").inner_text() == "Colorado"
    assert row.locator("td").all_inner_texts() == ["Housing (1)", "—", "Housing (1)"]


def test_bad_input_is_explained_next_to_each_field(page, channel):
    page.goto(channel + "/solutions/submit/")
    page.get_by_label("State or territory").select_option(label="Colorado")
    page.get_by_label("City or county").fill("Bouldr")
    page.get_by_role("button", name="Send the solution").click()
    summary = page.get_by_role("alert")
    assert "Please correct what is marked below" in summary.inner_text()
    place = page.get_by_label("City or county")
    assert place.get_attribute("aria-invalid") == "true"
    assert (
        "We found no city or county named “Bouldr” in Colorado."
        in page.locator("#id_place_name_error").inner_text()
    )
    assert page.get_by_label("Title").get_attribute("aria-invalid") == "true"
    check_page(page, status=400)
    summary.get_by_role("link", name=re.compile("^Title")).click()  # jumps to the field
    assert page.evaluate("document.activeElement.id") == "id_title"


@pytest.mark.parametrize(
    "path",
    [
        "/solutions/",
        "/solutions/?topic=nonsense",
        "/solutions/status/damaged/",
        "/priorities/confirm/damaged/",
        "/states/co/boulder/",
        "/states/co/",
        "/states/?metric=ties",
        "/states/?metric=solutions",
        "/states/?metric=opportunities",
        "/es/solutions/submit/",
        "/es/priorities/",
    ],
)
def test_public_pages_have_no_accessibility_violations(page, channel, path):
    response = page.goto(channel + path)
    check_page(page, status=response.status)


@pytest.mark.parametrize(
    "path",
    ["/staff/reach/", "/staff/reach/?metric=ties", "/staff/reach/gaps/?underserved=on"],
)
def test_staff_pages_have_no_accessibility_violations(page, channel, path):
    place = PlaceFactory(name="Lakewood", population=150_000)
    solution = LocalSolution.objects.create(
        place=place, topic=topic("waste"), title="Compost for all", description="Bins.",
        results="Less waste.", contact_name="A", contact_email="a@example.gov",
        status=SolutionStatus.NEW,
    )  # fmt: skip
    solutions.move_solution(solution, SolutionStatus.PUBLISHED)
    sign_in(page, channel, "/staff/reach/")
    page.goto(channel + path)
    check_page(page)
    if path == "/staff/reach/":  # a chart's figures open as a table, by keyboard too
        page.locator("#solution-topics-figures summary").focus()
        page.keyboard.press("Enter")
        table = page.locator("#solution-topics-table")
        assert table.is_visible()
        assert table.locator("tbody th").all_inner_texts() == [topic("waste").name]
        check_page(page)


def test_profile_shows_ties_and_peers(page, channel):
    page.goto(channel + "/states/co/boulder/")
    assert "Yamagata, Japan" in page.locator("#ties").inner_text()
    peers = page.locator("#peers")
    assert "Fort Collins, Colorado" in peers.inner_text() and "also in ICLEI" in peers.inner_text()


def test_map_metric_switch_works_without_javascript(browser, channel):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(channel + "/states/")
    page.get_by_role("link", name="Places with international ties").click()
    page.wait_for_url("**/states/?metric=places_with_ties")
    assert page.locator("#map-heading").inner_text() == "Map: places with international ties"
    assert page.locator('a[aria-label="Colorado: 2 places with international ties"]').count() == 1
    context.close()


def test_gaps_list_is_largest_first_and_downloads(page, channel):
    PlaceFactory(name="Houston", population=2_300_000, state=State.objects.get(usps_code="TX"))
    sign_in(page, channel, "/staff/reach/gaps/")
    first = page.locator(".gaps-table tbody tr").first.locator("th").inner_text()
    assert first == "Houston, Texas"
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as CSV").click()
    assert download.value.suggested_filename == "gaps.csv"
