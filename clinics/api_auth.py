"""How staff reach the API, for the API views of every app: a knox token, or the admin session with its
second factor (`two_factor.TwoFactorSessionAuthentication`), and the permission that the requester is staff."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from knox.auth import TokenAuthentication
from rest_framework import permissions
from rest_framework.request import Request

from clinics.two_factor import TwoFactorSessionAuthentication

STAFF_AUTHENTICATION = [TokenAuthentication, TwoFactorSessionAuthentication]


class IsStaff(permissions.BasePermission):
    """A signed-in user account: clinic staff or a superuser, never a patient's principal (not a user). Which
    rows they see is decided by `for_user`, not here."""

    message = "Staff sign-in required."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, AbstractBaseUser) and user.is_authenticated
