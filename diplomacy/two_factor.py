"""Two-factor sign-in for staff: a password, then a code from an authenticator app (TOTP).

With DJANGO_STAFF_TWO_FACTOR on (the default in production), a staff member who has signed in
with a password reaches nothing but this page until they enter a current code. The first time,
the page sets up their authenticator app (QR code and secret); after that it only asks for a
code. Devices are django-otp's; an administrator deletes a lost one in the admin.
"""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from diplomacy import staff_sessions

DEVICE_NAME = "Authenticator app"


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
    )


def _exempt(path: str) -> bool:
    page = reverse("two_factor")
    return path.startswith((page, reverse("admin:logout"), settings.STATIC_URL)) or path in (
        reverse("admin:login"),
        "/healthz",
    )


class StaffTwoFactorMiddleware:
    """Staff signed in with a password alone see only the code page (and can sign out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.STAFF_TWO_FACTOR
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and not _exempt(request.path)
        ):
            return redirect(f"{reverse('two_factor')}?next={quote(request.get_full_path())}")
        return self.get_response(request)


def _qr_code(device: TOTPDevice) -> str:
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@never_cache
def verify(request):
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        # One pending device per person, so reloading the page keeps the same secret.
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": DEVICE_NAME}
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            staff_sessions.mark_code_entered(request)
            return redirect(next_url)
        form.add_error(
            "code",
            _(
                "That code did not match. Codes change every 30 seconds: enter the newest one. "
                "After several wrong codes, each new try has to wait a little longer."
            ),
        )
    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        context["qr_code"] = _qr_code(device)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "two_factor.html", context)
