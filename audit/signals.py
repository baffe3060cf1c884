"""Every staff login, success and failure, goes to the audit trail (the user never their password)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.services import client_ip, record


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="login.success", actor=user, ip_address=client_ip(request) if request else None)


@receiver(user_login_failed)
def audit_login_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(action="login.failure", actor_label=username, ip_address=client_ip(request) if request else None)
