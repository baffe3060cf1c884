"""Staff API tokens (django-rest-knox): stored as a SHA-512 digest, valid for `STAFF_TOKEN_TTL_HOURS`, and revoked
whenever what the token was issued on changes: the password, the second factor (a TOTP enrolment, the clinic
switching `require_two_factor` on) or the user signing out (POST /api/v1/auth/logout/ and logout-all/).
docs/security.md lists the promises and the tests that prove them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from audit.services import record


def issue_staff_token(*, user: Any) -> tuple[str, AuthToken]:
    """A new token for `user` (the caller has checked the password and any second factor). The key is shown once:
    only its digest is stored."""
    instance, key = AuthToken.objects.create(user=user)
    return key, instance


def revoke_staff_tokens(*, users: Any, reason: str, actor: Any = None) -> int:
    """Delete every API token of `users` (a user or a queryset of users) and audit how many went and why."""
    user_ids = [users.pk] if hasattr(users, "pk") else list(users.values_list("pk", flat=True))
    with transaction.atomic():
        revoked, _ = AuthToken.objects.filter(user_id__in=user_ids).delete()
        if revoked:
            record(action="api_token.revoked", actor=actor, details={"reason": reason, "tokens": revoked})
    return revoked


def live_tokens_of(user: Any, *, now: dt.datetime | None = None) -> QuerySet[AuthToken]:
    now = now or timezone.now()
    return AuthToken.objects.filter(user=user).filter(Q(expiry__isnull=True) | Q(expiry__gt=now)).order_by("-created")


class RevokeTokensOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its `password_changed` hook, which Django calls on every password
    change (the admin, the password change page, `set_password` + save, `changepassword`): the one place that sees
    them all. It validates nothing."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            revoke_staff_tokens(users=user, reason="password_changed", actor=user)

    def get_help_text(self) -> str:
        return ""
