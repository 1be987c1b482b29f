"""Every admin action of every registered model: declared permissions, none for view-only staff."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cities.models import LocalSolution, PriorityResponse, SolutionStatus
from opportunities.models import ApiKey, DigestRun, Status, Subscription, SubscriptionStatus
from tests.factories import ListingFactory, PlaceFactory, topic

pytestmark = pytest.mark.django_db


def registered_actions():
    for model, model_admin in admin.site._registry.items():
        for function, name, _description in model_admin._get_base_actions():
            yield model, model_admin, function, name


@pytest.fixture
def one_of_everything(states):
    """At least one row for every model that has an action beyond deleting."""
    place = PlaceFactory(name="Boulder")
    for status in Status.values:
        ListingFactory(status=status, published_at=timezone.now())
    LocalSolution.objects.create(
        place=place, topic=topic("climate"), title="Solar schools", description="Panels.",
        results="Lower bills.", contact_name="Ana", contact_email="ana@example.gov",
        status=SolutionStatus.NEW, confirmed_at=timezone.now(),
    )  # fmt: skip
    PriorityResponse.objects.create(
        place=place, respondent_name="Ana", respondent_email="ana@example.gov",
        confirmed_at=timezone.now(),
    )  # fmt: skip
    Subscription.objects.create(
        email="mayor@example.gov", status=SubscriptionStatus.CONFIRMED, confirmed_at=timezone.now()
    )
    now = timezone.now()
    DigestRun.objects.create(frequency="weekly", period="weekly-2026-W47", as_of=now,
                             started_at=now)  # fmt: skip
    key = ApiKey(name="A newsroom")
    key.issue()
    key.save()
    someone = User.objects.create_user("someone", password="a-long-test-password", is_staff=True)
    TOTPDevice.objects.create(user=someone, name="Authenticator app")


def expired_sign_in_attempt() -> None:
    """Made after signing in: django-axes cleans expired attempts up at every sign-in."""
    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="192.0.2.1", user_agent="test", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - timedelta(days=30)
    )


def snapshot() -> dict:
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in admin.site._registry
    }


def test_every_admin_action_declares_the_permission_it_needs():
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, _admin, function, name in registered_actions()
        if not getattr(function, "allowed_permissions", None)
    ]
    assert undeclared == []


def test_view_only_staff_are_offered_no_action_and_a_forged_one_changes_nothing(
    client, one_of_everything
):
    viewer = User.objects.create_user("viewer", password="a-long-test-password", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(viewer)
    expired_sign_in_attempt()
    before = snapshot()
    for model, _model_admin, _function, name in registered_actions():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'name="action"' not in page.content.decode(), f"{url} offers actions"
        pks = list(model._base_manager.values_list("pk", flat=True))
        client.post(url, {"action": name, "_selected_action": pks, "index": "0", "post": "yes"})
        assert snapshot() == before, f"{model._meta.label}.{name} changed something"
