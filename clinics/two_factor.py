"""Optional TOTP second factor for staff (django-otp), required for every member of a clinic whose clinic
admin switched `Clinic.require_two_factor` on, and for anyone who enrolled a device themselves."""

from __future__ import annotations

from collections.abc import Callable

import segno
from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import client_ip, record

EXEMPT_PATHS = ("/admin/login/", "/admin/logout/", "/account/two-factor/")


def two_factor_required(user: object) -> bool:
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return True
    return user.memberships.filter(clinic__require_two_factor=True).exists()  # type: ignore[attr-defined]


class RequireTwoFactorMiddleware:
    """Staff who need a second factor reach the admin only after verifying a TOTP code in this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith("/admin/")
            and not request.path.startswith(EXEMPT_PATHS)
            and not user.is_verified()
            and two_factor_required(user)
        ):
            return redirect(f"{reverse('two-factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@staff_member_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol (first time: shows the QR code) or verify a TOTP code, then continue to `next`."""
    user = request.user
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "Authenticator"})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record(action="login.second_factor", actor=user, ip_address=client_ip(request))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("admin:index")
            return redirect(target)
        form.add_error("token", "That code is not valid. Check the time on your phone and try again.")
    qr_svg = segno.make(device.config_url).svg_inline(scale=4) if enrolling else ""
    return render(
        request,
        "clinics/two_factor.html",
        {"form": form, "enrolling": enrolling, "qr_svg": qr_svg, "title": "Two-factor verification"},
    )
