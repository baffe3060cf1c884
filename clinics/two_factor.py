"""Optional TOTP second factor for staff (django-otp), required for every member of a clinic whose clinic
admin switched `Clinic.require_two_factor` on, and for anyone who enrolled a device themselves."""

from __future__ import annotations

import base64
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
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from audit.services import client_ip, record
from clinics.api_tokens import revoke_staff_tokens

# Every staff page: the admin, the report page, exports, downloads and the streamed CSV. The API is guarded
# by its session authentication below (a request with a token never depended on the session).
STAFF_PATHS = ("/admin/", "/reports/")
EXEMPT_PATHS = ("/admin/login/", "/admin/logout/", "/account/two-factor/")
SECOND_FACTOR_MESSAGE = "Your clinic requires the second factor: verify your code at /account/two-factor/ first."


def two_factor_required(user: object) -> bool:
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        return True
    return user.memberships.filter(clinic__require_two_factor=True).exists()  # type: ignore[attr-defined]


def lacks_second_factor(user: object) -> bool:
    """A signed-in session that needs a verified TOTP code and has not given one yet."""
    is_verified = getattr(user, "is_verified", None)  # set on session users by django-otp's OTPMiddleware
    return (
        getattr(user, "is_authenticated", False)
        and is_verified is not None
        and not is_verified()
        and two_factor_required(user)
    )


class RequireTwoFactorMiddleware:
    """Staff who need a second factor reach the admin and the report pages only after verifying a TOTP code in
    this session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith(STAFF_PATHS)
            and not request.path.startswith(EXEMPT_PATHS)
            and lacks_second_factor(getattr(request, "user", None))
        ):
            return redirect(f"{reverse('two-factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class SecondFactorRequired(exceptions.PermissionDenied):
    default_code = "second_factor_required"
    default_detail = SECOND_FACTOR_MESSAGE


class TwoFactorSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (with its CSRF check), refused with a 403 while the session still lacks the
    second factor the user needs: the API with a session is the same staff surface as the admin."""

    def authenticate(self, request: Request) -> tuple[object, None] | None:
        result = super().authenticate(request)
        if result is not None and lacks_second_factor(result[0]):
            raise SecondFactorRequired()
        return result


class TwoFactorSessionScheme(SessionScheme):
    target_class = "clinics.two_factor.TwoFactorSessionAuthentication"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class EnrolForm(TokenForm):
    """First enrolment also asks for the password again: a session left open (or taken over) cannot bind an
    authenticator of someone else's to the account."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    field_order = ["password", "token"]


@staff_member_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol (first time: shows the QR code) or verify a TOTP code, then continue to `next`."""
    user = request.user
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "Authenticator"})
    form = (EnrolForm if enrolling else TokenForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if enrolling and not user.check_password(form.cleaned_data["password"]):
            record(action="login.second_factor.bad_password", actor=user, ip_address=client_ip(request))
            form.add_error("password", "That is not your password.")
        elif device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                # Tokens issued on the password alone predate the factor: the user signs in again with it.
                revoke_staff_tokens(users=user, reason="second_factor_enrolled", actor=user)
            otp_login(request, device)
            record(action="login.second_factor", actor=user, ip_address=client_ip(request))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("admin:index")
            return redirect(target)
        else:
            record(action="login.second_factor.bad_code", actor=user, ip_address=client_ip(request))
            form.add_error("token", "That code is not valid. Check the time on your phone and try again.")
    qr_svg = segno.make(device.config_url).svg_inline(scale=4) if enrolling else ""
    context = {"form": form, "enrolling": enrolling, "qr_svg": qr_svg, "title": "Two-factor verification"}
    if enrolling:
        context["manual_key"] = manual_key(device)
    return render(request, "clinics/two_factor.html", context)


def manual_key(device: TOTPDevice) -> str:
    """The device's secret as authenticator apps take it typed in (RFC 4648 base32, no padding), in groups of
    four for reading off the screen: the same key the QR code carries."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
