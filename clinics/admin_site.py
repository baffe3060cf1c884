"""The admin site: the same Django admin, with the caseload as the page staff land on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin, helpers
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

logger = logging.getLogger(__name__)


class CftAdminSite(AdminSite):
    site_header = "CFT Tracker"
    site_title = "CFT Tracker"
    index_title = "Clinic workspace"
    index_template = "admin/cft_index.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.index_panels: list[Callable[[HttpRequest], str]] = []

    def add_index_panel(self, panel: Callable[[HttpRequest], str]) -> None:
        """An app adds a panel to the admin home (its HTML for the request, or "" for none): the clinic setup
        checklist comes from patients, which this app may not import."""
        self.index_panels.append(panel)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        panels = [html for panel in self.index_panels if (html := panel(request))]
        return super().index(request, {"index_panels": panels, **(extra_context or {})})

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        # Whether to link the outcome reports from every admin page (user tools and the index). Imported here:
        # this module is loaded with the admin app, before the models `admin_scoping` needs.
        from clinics.admin_scoping import may_view_reports

        return {**super().each_context(request), "may_view_reports": may_view_reports(request.user)}

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        super().register(model_or_iterable, admin_class, **options)
        models = model_or_iterable if isinstance(model_or_iterable, (list, tuple)) else [model_or_iterable]
        for model in models:
            if _uses_model_permissions(self._registry[model]):
                _superusers_only_in_app_list(self._registry[model])
            _history_checks_permission_first(self._registry[model])
            _bad_list_input_is_a_400(self._registry[model])

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        """The foreign-key search: a NUL byte in `term` (PostgreSQL text cannot hold one) or any other bad list
        input is a 400 naming `term`, on every database, rather than a 500."""
        if "\x00" in request.GET.get("term", ""):
            return JsonResponse({"error": "The search term (term) cannot contain a NUL character."}, status=400)
        try:
            return super().autocomplete_view(request)
        except BAD_LIST_INPUT:
            return JsonResponse({"error": "The search term (term) or the field asked for is not valid."}, status=400)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Staff land on the caseload after logging in (unless a `next` page was asked for); the usual index
        # stays at /admin/, with the caseload as its first link.
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            caseload = reverse("admin:patients_patient_changelist", current_app=self.name)
            extra_context = {REDIRECT_FIELD_NAME: caseload, **(extra_context or {})}
        return super().login(request, extra_context)


def _uses_model_permissions(model_admin: Any) -> bool:
    """True when the admin keeps Django's default module check, i.e. relies on auth.Permission rows."""
    return type(model_admin).has_module_permission is ModelAdmin.has_module_permission


def _superusers_only_in_app_list(model_admin: Any) -> None:
    """Clinic staff get their rights from memberships (clinics.admin_scoping), never from auth.Permission, so an
    admin that still relies on model permissions (users, groups, tokens, beat schedules, lockouts, OTP devices,
    and any app admin not yet built on `ScopedAdminMixin`) is listed for superusers only. Its own view checks
    are unchanged. This also spares every admin page the two permission queries those checks would run."""
    original = model_admin.has_module_permission

    def has_module_permission(request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False)) and original(request)

    model_admin.has_module_permission = has_module_permission


def _history_checks_permission_first(model_admin: Any) -> None:
    """Django's history page looks the object up before checking the right to see it, so a staff member without
    the right got a 403 for an id that exists and "doesn't exist" for one that does not: ids of users, tokens
    or other clinics' rows could be probed. Checking the right first answers both the same way."""
    original = model_admin.history_view

    def history_view(request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        if not model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        return original(request, object_id, extra_context)

    model_admin.history_view = history_view


# What a hostile filter, search or selection raises deep in a changelist: an id that is not a number
# (`?program=abc`, `_selected_action=abc`), a year that overflows (`?at__year=9999...`), a NUL byte PostgreSQL
# refuses. None of them is a server fault, so the page answers 400 with a clear message instead of a 500.
BAD_LIST_INPUT = (ValueError, OverflowError, ValidationError, DataError)


def _check_selection(model_admin: Any, selected: list[str]) -> None:
    """Selected ids must be ids of the model before any action sees them: some actions (django-celery-beat's)
    run them inside their own transaction, where a failing query cannot be refused cleanly afterwards."""
    pk = model_admin.model._meta.pk
    for value in selected:
        python_value = pk.to_python(value)  # ValidationError for "abc"
        if isinstance(python_value, int) and not -(2**63) <= python_value < 2**63:
            raise OverflowError("selected id out of range")


def _bad_list_input_is_a_400(model_admin: Any) -> None:
    original = model_admin.changelist_view

    def changelist_view(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # Requests run in autocommit (no ATOMIC_REQUESTS), so a refused query leaves the connection usable.
        try:
            if request.method == "POST":
                _check_selection(model_admin, request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
            response = original(request, extra_context)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # the queries run while rendering: let their errors reach the except
            return response
        except BAD_LIST_INPUT:
            logger.warning("admin changelist %s: refused bad list input", model_admin.opts.label)
            context = {**model_admin.admin_site.each_context(request), "title": "Invalid filter or selection"}
            return TemplateResponse(request, "admin/bad_list_input.html", context, status=400)

    model_admin.changelist_view = changelist_view


class CftAdminConfig(AdminConfig):
    default_site = "clinics.admin_site.CftAdminSite"
