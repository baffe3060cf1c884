"""Tiny typed readers of os.environ that fail loudly, naming the variable.

Settings import these helpers; each raises ImproperlyConfigured with the variable's name on a bad value,
so a misconfigured deployment stops at start-up with one clear line instead of a stack trace deep inside.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str, schemes: set[str]) -> str:
    """A URL whose scheme is one of `schemes`; anything else is a configuration error."""
    raw = os.environ.get(name) or default
    try:
        parts = urlsplit(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {raw!r}") from None
    scheme = parts.scheme.split("+")[0]
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must be a URL with one of the schemes {allowed}; got {raw!r}")
    if scheme in {"postgres", "postgresql", "redis"}:
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a malformed port: {raw!r}") from None
        if not parts.hostname and scheme == "redis":
            raise ImproperlyConfigured(f"{name} has no host: {raw!r}")
    return raw
