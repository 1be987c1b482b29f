"""The outbox in this process: mail is written with the change that caused it, sent by the
sender (`lib.outbox.sending`, what the worker's tasks call) over real SMTP on loopback, retried
after temporary failures, failed after permanent ones; staff see and retry stuck mail."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django.utils import timezone

from lib.outbox import sending
from lib.outbox.models import MailStatus, OutgoingMail
from lib.outbox.tasks import sweep_outbox
from opportunities import digests
from opportunities.models import Subscription
from tests.opportunities.mailserver import ControlledSMTP

pytestmark = pytest.mark.django_db


def subscribe(client, email="ana@example.gov"):
    data = {"email": email, "role": "local_government", "frequency": "weekly"}
    return client.post("/subscribe/", data)


def make_due() -> None:
    OutgoingMail.objects.update(next_attempt_at=timezone.now())


@pytest.fixture
def relay(settings):
    """The portal's SMTP relay, a loopback server whose answers the test controls."""
    with ControlledSMTP() as server:
        settings.EMAIL_PORT = server.port
        yield server


def test_a_subscription_made_while_the_relay_is_down_waits_and_goes_out_once_it_is_back(
    client, relay
):
    relay.go_down()
    response = subscribe(client)
    assert response.status_code == 302  # the visitor is told to check their email
    assert Subscription.objects.get().email == "ana@example.gov"

    assert sending.send_due() == 0  # the worker's attempt: connection refused
    mail = OutgoingMail.objects.get()
    assert (mail.status, mail.attempts, mail.to) == ("queued", 1, ["ana@example.gov"])
    assert "Connection refused" in mail.last_error
    assert mail.next_attempt_at > timezone.now()  # backs off
    assert sending.send_due() == 0  # not due yet: nothing tried
    assert OutgoingMail.objects.get().attempts == 1

    relay.come_back()
    make_due()
    assert sending.send_due() == 1  # beat's sweep
    assert sending.send_due() == 0
    assert relay.count_to("ana@example.gov") == 1
    [message] = relay.messages
    assert message["Subject"] == "Confirm your subscription"
    assert "/subscribe/confirm/" in message.get_body(("plain",)).get_content()
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 2, "")
    assert mail.sent_at is not None


def test_a_rolled_back_change_leaves_no_mail(mailbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        digests.request_subscription(
            {"email": "ana@example.gov", "role": "other", "frequency": "weekly"}, "en"
        )
        assert OutgoingMail.objects.count() == 1  # queued with the subscription…
        raise RuntimeError("the change fails after the mail was queued")
    assert not Subscription.objects.exists()
    assert not OutgoingMail.objects.exists()  # …and gone with it
    assert mailbox.messages == []


def test_a_permanent_refusal_fails_the_mail_and_it_is_not_tried_again(client, relay):
    relay.refused.add("nobody@example.gov")
    subscribe(client, "nobody@example.gov")
    assert sending.send_due() == 0
    mail = OutgoingMail.objects.get()
    assert (mail.status, mail.attempts) == ("failed", 1)
    assert "550" in mail.last_error
    make_due()
    assert sending.send_due() == 0
    assert OutgoingMail.objects.get().attempts == 1
    assert relay.messages == []


def test_temporary_refusals_back_off_and_fail_after_the_last_attempt(client, relay, settings):
    settings.OUTBOX_MAX_ATTEMPTS, settings.OUTBOX_RETRY_BACKOFF = 3, 60
    relay.refuse_next = 10  # 451 each time
    subscribe(client)
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        make_due()
        sending.send_due()
        mail = OutgoingMail.objects.get()
        waits.append(round((mail.next_attempt_at - before).total_seconds() / 60))
    assert (mail.status, mail.attempts) == ("failed", 3)
    assert "451" in mail.last_error
    assert waits[:2] == [1, 2]  # one minute, then two
    assert relay.messages == []


def test_one_refused_message_does_not_hold_up_the_others(client, relay):
    relay.refused.add("nobody@example.gov")
    subscribe(client, "nobody@example.gov")
    subscribe(client, "ana@example.gov")
    assert sending.send_due() == 1
    assert relay.count_to("ana@example.gov") == 1


def test_a_message_that_cannot_be_built_fails_and_the_others_still_go(client, relay):
    subscribe(client, "ana@example.gov")
    broken = failed_mail(status=MailStatus.QUEUED, attempts=0)
    OutgoingMail.objects.filter(pk=broken.pk).update(headers={"X-Broken": "a\nInjected: 1"})
    assert sending.send_due() == 1
    assert relay.count_to("ana@example.gov") == 1
    broken.refresh_from_db()
    assert broken.status == "failed" and "BadHeaderError" in broken.last_error


def test_mail_a_dead_worker_was_sending_is_sent_again(client, relay, settings):
    subscribe(client)
    OutgoingMail.objects.update(
        status=MailStatus.SENDING,
        attempts=1,
        sending_since=timezone.now() - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT + 1),
    )
    assert sending.send_due() == 1
    assert relay.count_to("ana@example.gov") == 1
    assert OutgoingMail.objects.get().attempts == 2


def test_mail_being_sent_by_a_live_worker_is_left_alone(client, relay):
    subscribe(client)
    OutgoingMail.objects.update(status=MailStatus.SENDING, sending_since=timezone.now())
    assert sending.send_due() == 0
    assert relay.messages == []


def test_the_message_keeps_the_message_id_it_was_queued_with(client, mailbox):
    subscribe(client)
    queued_id = OutgoingMail.objects.get().headers["Message-ID"]
    [message] = mailbox.messages
    assert message["Message-ID"] == queued_id


def test_sent_mail_is_forgotten_after_the_days_it_is_kept_and_failed_mail_stays(
    client, mailbox, settings
):
    subscribe(client, "old@example.gov")
    subscribe(client, "new@example.gov")
    assert len(mailbox.messages) == 2
    OutgoingMail.objects.filter(to=["old@example.gov"]).update(
        sent_at=timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS, minutes=1)
    )
    failed_mail(created_at=timezone.now() - timedelta(days=400))
    sweep_outbox.apply()
    assert sorted(m.to[0] for m in OutgoingMail.objects.all()) == [
        "new@example.gov",
        "nobody@example.gov",
    ]


def test_beat_sweeps_the_outbox_every_minute(settings):
    [entry] = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("sweep_outbox")
    ]
    assert entry["task"] == "lib.outbox.tasks.sweep_outbox"
    assert entry["schedule"] <= 60


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def administrator(client):
    user = User.objects.create_user(
        "admin", "admin@example.gov", password="a-long-test-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Administrator"))
    client.force_login(user)
    return user


def failed_mail(email="nobody@example.gov", **fields) -> OutgoingMail:
    values = {
        "status": MailStatus.FAILED,
        "to": [email],
        "from_email": "Portal <noreply@localhost>",
        "subject": "Confirm your subscription",
        "body_text": "Follow the link.",
        "body_html": "<p>Follow the link.</p>",
        "attempts": 10,
        "last_error": "SMTPRecipientsRefused: 550 No such mailbox",
    }
    return OutgoingMail.objects.create(**{**values, **fields})


CHANGELIST = "/admin/outbox/outgoingmail/"


def test_the_admin_shows_stuck_mail(client, administrator, settings):
    failed_mail("failed@example.gov")
    OutgoingMail.objects.create(
        to=["waiting@example.gov"], subject="Waiting long", body_text="x",
        next_attempt_at=timezone.now() - timedelta(minutes=settings.OUTBOX_STUCK_MINUTES + 5),
    )  # fmt: skip
    OutgoingMail.objects.create(to=["fresh@example.gov"], subject="Just queued", body_text="x")
    OutgoingMail.objects.create(
        to=["sent@example.gov"], subject="Delivered", body_text="x",
        status=MailStatus.SENT, sent_at=timezone.now(),
    )  # fmt: skip

    page = client.get(CHANGELIST).content.decode()
    assert "2 messages are stuck" in page
    assert page.count("outbox-stuck") == 2

    stuck = client.get(CHANGELIST, {"stuck": "yes"}).content.decode()
    assert "failed@example.gov" in stuck and "waiting@example.gov" in stuck
    assert "fresh@example.gov" not in stuck and "sent@example.gov" not in stuck
    failed = client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    assert "failed@example.gov" in failed and "waiting@example.gov" not in failed


def test_the_admin_lists_mail_in_a_constant_number_of_queries(
    client, administrator, django_assert_max_num_queries
):
    for n in range(30):
        failed_mail(f"person{n}@example.gov")
    with django_assert_max_num_queries(20):
        assert client.get(CHANGELIST).status_code == 200


def test_staff_retry_failed_mail_and_it_goes_out(client, administrator, mailbox):
    mail = failed_mail("ana@example.gov")
    sent = OutgoingMail.objects.create(
        to=["bo@example.gov"], subject="Delivered", body_text="x",
        status=MailStatus.SENT, sent_at=timezone.now(),
    )  # fmt: skip
    response = client.post(
        CHANGELIST,
        {"action": "retry_selected", "_selected_action": [mail.pk, sent.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 message queued again" in page
    assert "1 selected message was left alone" in page
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("queued", 0)
    assert [m["To"] for m in mailbox.messages] == ["ana@example.gov"]  # the worker's send
    mail.refresh_from_db()
    assert mail.status == "sent"
    assert OutgoingMail.objects.get(pk=sent.pk).status == "sent"  # not sent again


def test_a_message_can_be_read_but_not_edited(client, administrator):
    mail = failed_mail()
    url = f"{CHANGELIST}{mail.pk}/change/"
    page = client.get(url).content.decode()
    assert "Follow the link." in page
    assert 'name="subject"' not in page and 'name="_save"' not in page
    client.post(url, {"subject": "Changed", "body_text": "Changed"})
    mail.refresh_from_db()
    assert (mail.subject, mail.body_text) == ("Confirm your subscription", "Follow the link.")
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(f"{CHANGELIST}{mail.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("group", ["Curator", "Publisher"])
def test_curators_and_publishers_do_not_see_outgoing_mail(client, group):
    user = User.objects.create_user("staff", password="a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    failed_mail()
    assert client.get(CHANGELIST).status_code == 403
    assert "outgoingmail" not in client.get("/admin/").content.decode()


def test_without_the_retry_permission_there_is_no_retry(client, administrator):
    administrator.groups.clear()
    administrator.user_permissions.add(Permission.objects.get(codename="view_outgoingmail"))
    mail = failed_mail()
    page = client.get(CHANGELIST).content.decode()
    assert "retry_selected" not in page
    client.post(CHANGELIST, {"action": "retry_selected", "_selected_action": [mail.pk]})
    mail.refresh_from_db()
    assert mail.status == "failed"


def test_the_admin_index_links_to_stuck_mail(client, administrator):
    failed_mail()
    page = client.get("/admin/").content.decode()
    assert re.search(r"Outgoing mail: 1 stuck", page)
