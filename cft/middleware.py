"""Middleware of the project's own."""

from __future__ import annotations

from typing import Any

from django.utils.cache import add_never_cache_headers


class NoStoreApiMiddleware:
    """API answers carry patient records: no browser, proxy or app cache may keep a copy (Cache-Control:
    no-store). Pages already say so (`never_cache` on the check-in views, the admin's own)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            add_never_cache_headers(response)
        return response
