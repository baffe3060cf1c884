"""The therapist's workspace: the caseload list, the patient page and the actions on selected patients.

Rows come from `Patient.objects.for_user(user)` (through `ScopedAdminMixin`); every write calls a service in
`patients.services`. Permissions follow the membership role (`clinics.admin_scoping`).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext

from audit.services import record, record_list_read, record_patient_read
from cft.spreadsheets import write_csv
from clinics.admin_scoping import ScopedAdminMixin, is_therapist, staff_users_for
from clinics.models import Clinic, clinic_ids_for
from patients import (
    adherence,
    admin_setup,  # noqa: F401 - the clinic setup checklist on the admin home
    audit_admin,  # noqa: F401 - registers the audit log's admin (it names patients)
    caseload,
    duplicates,
    scoring,
    services,
    tailoring,
)
from patients.adherence_queries import episode_adherence, local_today, time_zones_in
from patients.admin_alerts import AlertWorkflowMixin
from patients.admin_beliefs import BeliefNarrativesMixin
from patients.admin_intake import IntakeMixin, confirm_late_start, confirm_week_field
from patients.charts import adherence_chart_svg, trend_chart_svg
from patients.dates import validate_program_start
from patients.models import DISCHARGE_NOTE_MAX_LENGTH, Alert, Assignment, CheckIn, Episode, Patient, PatientQuerySet
from patients.outcomes import episode_outcome
from programs.models import Program


def field_label(field: str) -> str:
    """The label a person reads for a field a service names: the model field's verbose name ("reminder_consent"
    is "Reminder consent"), else the name in words."""
    for model in (Patient, Episode, Assignment, Alert, CheckIn):
        try:
            return capfirst(str(getattr(model._meta.get_field(field), "verbose_name", field)))
        except FieldDoesNotExist:
            continue
    return capfirst(field.replace("_", " "))


def error_text(exc: ValidationError) -> str:
    """A service's ValidationError as one line naming each field by its label."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            " ".join(msgs) if field == NON_FIELD_ERRORS else f"{field_label(field)}: {' '.join(msgs)}"
            for field, msgs in exc.message_dict.items()
        )
    return " ".join(exc.messages)


# --- filters ----------------------------------------------------------------------------------------------
class CaseloadFilter(admin.SimpleListFilter):
    """A therapist sees their own caseload unless they choose the whole clinic; others see the clinic."""

    title = "caseload"
    parameter_name = "caseload"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", "My caseload"), ("clinic", "Whole clinic")]

    def value(self) -> str:
        return super().value() or self.default

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self.default = "mine" if is_therapist(request.user) else "clinic"
        super().__init__(request, params, model, model_admin)

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Any:
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            return cast(PatientQuerySet, queryset).caseload_of(request.user)
        return queryset


class AttentionFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"
    FILTERS = {
        "any": ("Needs attention (open alert)", {"has_open_alert": True}),
        "red_flag": ("Red flag", {"has_red_flag": True}),
        "missed": ("Missed check-ins", {"has_missed": True}),
        "worsening": ("Worsening", {"has_worsening": True}),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in self.FILTERS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value in self.FILTERS:
            return queryset.filter(**self.FILTERS[value][1])
        return queryset


class ResponderFilter(admin.SimpleListFilter):
    """Responders on either measure (docs/clinical-rules.md, responders); 'not yet' = has a follow-up check-in and
    is not a responder."""

    title = "response"
    parameter_name = "response"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("responder", "Responder"), ("not_yet", "Not yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "responder":
            return caseload.responders(queryset)
        if self.value() == "not_yet":
            return caseload.not_yet_responding(queryset)
        return queryset


class AdherenceFilter(admin.SimpleListFilter):
    """By adherence band (docs/clinical-rules.md, adherence), on the caseload's SQL annotation."""

    title = "adherence"
    parameter_name = "adherence"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(adherence.BAND_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in adherence.BAND_LABELS:
            return queryset.filter(adherence_band=self.value())
        return queryset


class BeliefsFilter(admin.SimpleListFilter):
    """Patients whose intake beliefs are worth talking about (`caseload.beliefs_to_address`, an app rule)."""

    title = "beliefs"
    parameter_name = "beliefs"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("to_address", "Beliefs to address")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "to_address":
            return queryset.filter(caseload.beliefs_to_address())
        return queryset


class ProgramFilter(admin.SimpleListFilter):
    """The program of the open episode; choices are the programs this user may see."""

    title = "program"
    parameter_name = "program"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(p.pk), str(p)) for p in Program.objects.for_user(request.user).order_by("title")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        program_id = self.value()
        if not program_id:
            return queryset
        # Not a replaced program: its end date, in the patient's time zone, is still to come.
        zones = time_zones_in(queryset)
        on_program = Assignment.objects.filter(
            episode__patient=OuterRef("pk"), episode__ended_on__isnull=True, program_id=program_id
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef("program_filter_today")))
        return queryset.annotate(program_filter_today=local_today(zones)).filter(Exists(on_program))


class TherapistFilter(admin.SimpleListFilter):
    title = "therapist"
    parameter_name = "therapist"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(u.pk), u.get_full_name() or u.get_username()) for u in staff_users_for(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(primary_therapist_id=self.value()) if self.value() else queryset


def shown_episode(request: HttpRequest, episodes: list[Episode], current: Episode | None) -> Episode | None:
    """The episode whose trend and check-ins the patient page shows: the one asked for (`?episode=<id>`), else
    the open one, else the last one (a discharged patient's record stays readable)."""
    asked = request.GET.get("episode", "")
    if asked.isdigit():
        chosen = next((e for e in episodes if e.pk == int(asked)), None)
        if chosen is not None:
            return chosen
    return current or (episodes[0] if episodes else None)


# --- forms ------------------------------------------------------------------------------------------------
class AssignProgramForm(forms.Form):
    REPLACE, ALONGSIDE = "replace", "alongside"
    confirm_week = confirm_week_field()

    program = forms.ModelChoiceField(queryset=Program.objects.none())
    start_date = forms.DateField(
        validators=[validate_program_start],
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    change = forms.ChoiceField(
        label="If the patient already has a program",
        choices=[
            (REPLACE, "Replace the current program from the start date (it ends then, kept in the history)"),
            (ALONGSIDE, "Add alongside the current program"),
        ],
        initial=REPLACE,
        required=False,  # left out (an older form, a script): replace, the usual change
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["program"]).queryset = Program.objects.for_user(user).order_by(
            "clinic", "title"
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        confirm_late_start(self, timezone.localdate())
        return self.cleaned_data

    @property
    def asks_to_confirm(self) -> bool:
        """The only thing in the way is the late start's notice: the page shows it for confirmation."""
        return self.errors.keys() == {"start_date"} and bool(self.data.get(self.add_prefix("confirm_week")))


class DischargeForm(forms.Form):
    """Discharge: the date care ended and a note for the record (both kept on the episode)."""

    ended_on = forms.DateField(
        label="Discharge date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The day care ended: not in the future, not before the episode began.",
    )
    discharge_note = forms.CharField(
        label="Discharge note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": DISCHARGE_NOTE_MAX_LENGTH}),
        help_text=f"Why and how care ended, for the record (at most {DISCHARGE_NOTE_MAX_LENGTH:,} characters).",
    )

    def clean_discharge_note(self) -> str:
        # Counted and refused over the limit, never cut: the service says so in words (`check_length`).
        note = self.cleaned_data["discharge_note"]
        try:
            services.check_length("discharge_note", note, DISCHARGE_NOTE_MAX_LENGTH)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["discharge_note"]) from None
        return note


FORM_ONLY_FIELDS = ("record_version", "not_a_duplicate")  # the form's own, not the patient's
CLINIC_DEFAULTS = ("language", "time_zone")  # a new patient's, from their clinic (`services.create_patient`)


class PatientForm(forms.ModelForm):
    # The version of the record this form was filled in on: a save over someone else's later edit is refused.
    record_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    # On the add form, shown (as a checkbox) only once a possible duplicate was found (`duplicates.py`).
    not_a_duplicate = forms.BooleanField(
        label="Not the same patient: save anyway", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["record_version"].initial = self.instance.version

    class Meta:
        model = Patient
        fields = (
            "first_name", "last_name", "record_number", "email", "phone", "clinic", "primary_therapist",
            "time_zone", "checkin_weekday", "checkin_hour", "reminder_consent",
        )  # fmt: skip
        labels = {"checkin_weekday": "Check-in weekday", "checkin_hour": "Check-in hour"}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        clinic = data.get("clinic") or (self.instance.clinic if self.instance.clinic_id else None)
        if clinic is not None:
            try:
                services.check_primary_therapist(data.get("primary_therapist"), clinic.pk)
            except ValidationError as exc:
                self.add_error(None, exc)
        if clinic is not None and not self.instance.pk and not data.get("not_a_duplicate"):
            found = list(
                duplicates.possible_duplicates(
                    clinic.pk, **{name: data.get(name) or "" for name in ("first_name", "last_name", "email", "phone")}
                )
            )
            if found:
                self.fields["not_a_duplicate"].widget = forms.CheckboxInput()
                self.add_error(None, duplicates.describe(found, data))
        if self.instance.pk and data.get("record_version"):
            try:
                services.check_version(self.instance, data["record_version"])
            except services.StaleRecord as exc:
                self.add_error(None, exc.messages)
        return data


# --- the admin --------------------------------------------------------------------------------------------
@admin.register(Patient)
class PatientAdmin(AlertWorkflowMixin, BeliefNarrativesMixin, IntakeMixin, ScopedAdminMixin, admin.ModelAdmin):
    """The caseload list and the patient page."""

    form = PatientForm
    change_form_template = "admin/patients/patient/change_form.html"
    change_list_template = "admin/patients/patient/change_list.html"
    list_display = (
        "patient",
        "program_and_week",
        "latest_odi",
        "latest_nrs",
        "change_since_baseline",
        "last_checkin",
        "open_alerts",
        "adherence",
    )
    list_display_links = ("patient",)
    list_filter = (
        CaseloadFilter,
        AttentionFilter,
        ResponderFilter,
        AdherenceFilter,
        BeliefsFilter,
        ProgramFilter,
        TherapistFilter,
        "status",
    )
    search_fields = ("first_name", "last_name", "email", "record_number")
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) of the whole clinic on every page view
    sortable_by = ("patient", "latest_odi", "latest_nrs", "change_since_baseline", "last_checkin", "open_alerts")
    actions = (
        "assign_program_action",
        "send_checkin_link_action",
        "pause_reminders_action",
        "resume_reminders_action",
        "discharge_action",
        "export_csv_action",
    )
    fieldsets = (
        (
            "Patient",
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "record_number",
                    "email",
                    "phone",
                    "record_version",
                    "not_a_duplicate",
                )  # fmt: skip
            },
        ),
        ("Care", {"fields": ("clinic", "primary_therapist", "status")}),
        (
            "Check-in schedule",
            {"fields": ("time_zone", "checkin_weekday", "checkin_hour", "reminder_consent", "language")},
        ),
    )

    # --- rows ---------------------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        # The outcome annotations are for the list (and the actions and export posted to it); the patient
        # page reads one patient and computes its outcome from one query (`episode_outcome`).
        if self._is_caseload(request):
            rows = caseload.caseload_of_every_patient(time_zones_in(qs))
            return self.scope_queryset(request, rows).order_by(*self.get_ordering(request))
        return qs

    def _is_caseload(self, request: HttpRequest) -> bool:
        return bool(request.resolver_match and request.resolver_match.url_name == "patients_patient_changelist")

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Any:
        # The page's rows read the patient columns the list shows, and the sort carries no others through every row
        # of the clinic (10,000 patients: 6 ms of the page query). Actions and the export get whole rows; the
        # history page paginates the patient's log entries, which have none of those columns.
        if self._is_caseload(request):
            queryset = queryset.only(*caseload.LIST_COLUMNS)
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)

    def get_ordering(self, request: HttpRequest) -> Any:
        # Most urgent first on the caseload, where `caseload_queryset` adds the `urgency` it orders by; a
        # column header the user clicks replaces this order.
        return caseload.URGENCY_ORDERING if self._is_caseload(request) else super().get_ordering(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Patient | None = None) -> tuple[str, ...]:
        # Status changes only through the actions (pause, resume, discharge), which call the services.
        return ("status",) if obj is None else ("clinic", "status")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        ids = clinic_ids_for(request.user)
        if len(ids) == 1:
            initial.setdefault("clinic", ids[0])
        clinic_id = str(initial.get("clinic") or "")
        shown = clinic_id.isdigit() and (request.user.is_superuser or int(clinic_id) in ids)
        clinic = Clinic.objects.filter(pk=clinic_id).first() if shown else None
        if clinic is not None:  # else the clinic chosen on the form gives them (`save_model`)
            initial.setdefault("language", clinic.default_language)
            initial.setdefault("time_zone", clinic.default_time_zone)
        if is_therapist(request.user):
            initial.setdefault("primary_therapist", request.user.pk)
        return initial

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name not in FORM_ONLY_FIELDS}
            version = form.cleaned_data.get("record_version")
            services.update_patient(patient=obj, by=request.user, version=version, **changes)
            return
        fields = {name: value for name, value in form.cleaned_data.items() if name not in ("clinic", *FORM_ONLY_FIELDS)}
        for name in CLINIC_DEFAULTS:  # left as first shown: the clinic's default (the form may not have known it)
            if name not in form.changed_data:
                fields.pop(name, None)
        created = services.create_patient(clinic=form.cleaned_data["clinic"], by=request.user, **fields)
        obj.pk, obj.id, obj._state = created.pk, created.pk, created._state

    def response_add(self, request: HttpRequest, obj: Patient, post_url_continue: str | None = None) -> HttpResponse:
        # A new patient is met at their first visit: straight on to starting their care with them.
        if not {"_addanother", "_continue", "_popup"} & set(request.POST):
            self.message_user(request, f"Added {obj}. Now start their care with them.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:patients_patient_start_care", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # patients are discharged, never deleted from the workspace
        return actions

    # --- columns ------------------------------------------------------------------------------------------
    def action_checkbox(self, obj: Patient) -> SafeString:
        # Django's markup, written out: its version renders a CheckboxInput through the form template engine, a
        # fifth of the list's rendering time at 50 rows (tests/admin: the same HTML as Django's).
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME, obj.pk, label,
        )  # fmt: skip

    @admin.display(description="Patient", ordering="last_name")
    def patient(self, row: caseload.CaseloadRow) -> str:
        name = format_html("{} <small>({})</small>", row, row.record_number) if row.record_number else str(row)
        if getattr(row, "beliefs_to_address", False):
            # A prompt for the conversation (docs/clinical-rules.md, beliefs), not a risk label.
            return format_html('{} <span class="beliefs-flag">beliefs to address</span>', name)
        return name

    @admin.display(description="Program (week)", ordering="current_program")
    def program_and_week(self, row: caseload.CaseloadRow) -> str:
        if not row.current_program:
            return "-"
        week = caseload.program_week(row)
        return f"{row.current_program} (week {week})" if week else f"{row.current_program} (not started)"

    @admin.display(description="ODI", ordering="latest_odi")
    def latest_odi(self, row: caseload.CaseloadRow) -> str:
        value, band = caseload.latest_odi_shown(row)
        if value is None:
            return "-"
        return format_html('{} <span class="odi-band odi-{}">{}</span>', value, band, scoring.odi_band_words(band))

    @admin.display(description="NRS", ordering="latest_nrs")
    def latest_nrs(self, row: caseload.CaseloadRow) -> str:
        return "-" if row.latest_nrs is None else str(row.latest_nrs)

    @admin.display(description="Change since baseline", ordering="odi_change")
    def change_since_baseline(self, row: caseload.CaseloadRow) -> str:
        parts = []
        for measure in ("odi", "nrs"):
            change = caseload.measure_change(row, measure)
            if change.delta is None:
                continue
            parts.append((change.status, measure.upper(), scoring.describe_change(change.change, measure)))
        if not parts:
            return "-"
        return format_html_join(
            " ", '<span class="change change-{}" title="{} change since baseline">{} {}</span>',
            ((status, name, name, words) for status, name, words in parts),
        )  # fmt: skip

    @admin.display(description="Last check-in", ordering="last_checkin_at")
    def last_checkin(self, row: caseload.CaseloadRow) -> str:
        day = caseload.last_checkin_date(row)
        return day.isoformat() if day else "never"

    @admin.display(description="Open alerts", ordering="open_alert_count")
    def open_alerts(self, row: caseload.CaseloadRow) -> str:
        if not row.open_alert_count:
            return "-"
        kinds = [
            label
            for flag, label in (("has_red_flag", "red flag"), ("has_worsening", "worsening"), ("has_missed", "missed"))
            if getattr(row, flag)
        ]
        css = "alert-red-flag" if row.has_red_flag else "alert-open"
        return format_html(
            '<span class="{}">{}{}</span>', css, row.open_alert_count, f" ({', '.join(kinds)})" if kinds else ""
        )

    @admin.display(description="Adherence")
    def adherence(self, row: caseload.CaseloadRow) -> str:
        summary = adherence.Adherence(met=row.adherence_met, due=row.adherence_due)
        if summary.percent is None:
            return format_html('<span class="adherence adherence-{}">no data</span>', summary.band)
        return format_html(
            '<span class="adherence adherence-{}">{} % <small>({} of {} met)</small></span>',
            summary.band, summary.percent, summary.met, summary.due,
        )  # fmt: skip

    # --- the patient page ---------------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            *self.alert_urls(wrap),
            *self.belief_urls(wrap),
            path("<path:object_id>/assign/", wrap(self.assign_view), name="patients_patient_assign"),
            path(
                "<path:object_id>/assignments/<int:assignment_id>/tailor/",
                wrap(self.tailor_view),
                name="patients_patient_tailor",
            ),
            path(
                "<path:object_id>/send-checkin-link/",
                wrap(self.send_checkin_link_view),
                name="patients_patient_send_checkin_link",
            ),
            path("<path:object_id>/discharge/", wrap(self.discharge_view), name="patients_patient_discharge"),
            *self.intake_urls(wrap),
            path("<path:object_id>/reactivate/", wrap(self.reactivate_view), name="patients_patient_reactivate"),
            *super().get_urls(),
        ]

    def patient_to_change(self, request: HttpRequest, object_id: str) -> Patient:
        """The patient of a page that changes them: 404 outside the requester's clinics, 403 without the right."""
        patient = self.get_object(request, object_id)
        if patient is None:
            raise Http404("No such patient in your clinic.")
        if not self.has_change_permission(request, patient):
            raise PermissionDenied
        return patient

    def _patient_for_change(self, request: HttpRequest, object_id: str) -> Patient:
        if request.method != "POST":
            raise Http404("Use the button on the patient page.")
        return self.patient_to_change(request, object_id)

    def _back(self, patient: Patient) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:patients_patient_change", args=[patient.pk]))

    def send_checkin_link_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        patient = self._patient_for_change(request, object_id)
        try:
            services.send_checkin_link_now(patient=patient, by=request.user)
        except ValidationError as exc:
            self.message_user(request, f"No check-in link sent: {error_text(exc)}", messages.ERROR)
        else:
            self.message_user(request, f"Check-in link queued for {patient}.", messages.SUCCESS)
        return self._back(patient)

    def discharge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Discharge one patient, after a confirmation page with the date and a note."""
        patient = self.patient_to_change(request, object_id)
        if request.method == "POST":
            form = DischargeForm(request.POST)
            if form.is_valid() and self._discharge(form, patient, request.user):
                self.message_user(request, f"Discharged {patient}. The record and its history stay.", messages.SUCCESS)
                return self._back(patient)
        else:
            form = DischargeForm(initial={"ended_on": patient.local_today()})
        return self._discharge_page(request, form, [patient], action="")

    def reactivate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        patient = self._patient_for_change(request, object_id)
        try:
            episode = services.reactivate_patient(patient=patient, by=request.user)
        except ValidationError as exc:
            self.message_user(request, f"Not reopened: {error_text(exc)}", messages.ERROR)
        else:
            self.message_user(
                request, f"Care reopened: the episode from {episode.started_on} is open again.", messages.SUCCESS
            )
        return self._back(patient)

    def _discharge(self, form: DischargeForm, patient: Patient, user: Any) -> bool:
        try:
            services.discharge_patient(
                patient=patient,
                by=user,
                on=form.cleaned_data["ended_on"],
                note=form.cleaned_data["discharge_note"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                form.add_error(None, exc.messages)
            for field, errors in getattr(exc, "message_dict", {}).items():
                form.add_error(field if field in form.fields else None, errors)
            return False
        return True

    def _discharge_page(
        self, request: HttpRequest, form: DischargeForm, patients: list[Patient], action: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Discharge " + (str(patients[0]) if len(patients) == 1 else f"{len(patients)} patients"),
            "form": form,
            "patients": patients,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": action,
        }
        status = 400 if request.method == "POST" and form.is_bound and form.errors and not action else 200
        return TemplateResponse(request, "admin/patients/patient/discharge.html", context, status=status)

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        patient = self._patient_for_change(request, object_id)
        form = AssignProgramForm(request.POST, user=request.user, prefix="assign")
        if not form.is_valid() and form.asks_to_confirm:
            return self._assign_page(request, form, [patient], action="")
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = (form.fields[field].label if field in form.fields else None) or field_label(field)
                self.message_user(request, f"{capfirst(label)}: {' '.join(str(e) for e in errors)}", messages.ERROR)
            return self._back(patient)
        try:
            assignment = self._assign(patient, form.cleaned_data, request.user)
        except ValidationError as exc:
            self.message_user(request, f"Not assigned: {error_text(exc)}", messages.ERROR)
        else:
            self.message_user(request, f"Assigned {assignment.title} from {assignment.start_date}.", messages.SUCCESS)
        return self._back(patient)

    def tailor_view(self, request: HttpRequest, object_id: str, assignment_id: int) -> HttpResponse:
        """Tailor one patient's assignment (patients/tailoring.py): quotas, weeks, items removed or added."""
        patient = self.patient_to_change(request, object_id)
        assignment = get_object_or_404(
            Assignment.objects.select_related("episode__patient"),
            pk=assignment_id,
            episode__patient=patient,
            episode__ended_on__isnull=True,
            ended_on__isnull=True,
        )
        page = tailoring.TailorPage(assignment, request.user, request.POST if request.method == "POST" else None)
        if request.method == "POST" and page.save(request.user):
            self.message_user(request, f"Saved: {page.assignment.title}.", messages.SUCCESS)
            return self._back(patient)
        if request.method == "GET":
            record_patient_read(request, patient, "program")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Tailor {assignment.title}",
            "patient": patient,
            "page": page,
            "opts": self.model._meta,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/patients/patient/tailor.html", context, status=status)

    @staticmethod
    def _assign(patient: Patient, data: dict[str, Any], user: Any) -> Assignment:
        return services.assign_program_to_patient(
            patient=patient,
            program=data["program"],
            start_date=data["start_date"],
            alongside=data.get("change") == AssignProgramForm.ALONGSIDE,
            by=user,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, {"title": "Caseload", **(extra_context or {})})
        context = getattr(response, "context_data", None)
        changelist = context and context.get("cl")
        if request.method == "GET" and changelist is not None:
            record_list_read(request, "caseload", changelist.result_list)
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().history_view(request, object_id, extra_context)
        patient = self.get_object(request, object_id)
        if response.status_code == 200 and patient is not None:
            record_patient_read(request, patient, "history")
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        patient = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if patient is not None:
            extra.setdefault("title", "Patient")
            extra.update(self.patient_page_context(request, patient))
            extra["adherence"] = self.adherence_context(extra)
            if request.method == "GET" and self.has_view_or_change_permission(request, patient):
                record_patient_read(request, patient, "record")
        try:
            return super().change_view(request, object_id, form_url, extra)
        except services.StaleRecord as exc:  # another save landed between this form's check and its save
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def patient_page_context(self, request: HttpRequest, patient: Patient) -> dict[str, Any]:
        episodes = list(
            patient.episodes.select_related("outcome")
            .prefetch_related("assignments__assigned_by")
            .order_by("-started_on")
        )
        current = next((e for e in episodes if e.ended_on is None), None)
        shown = shown_episode(request, episodes, current)
        outcome = episode_outcome(shown) if shown else None
        series = outcome.series if outcome else []

        def checkins_of(episode: Episode | None) -> list[CheckIn]:
            if episode is None:
                return []
            readable = CheckIn.objects.for_user(request.user).filter(episode=episode)
            return list(readable.select_related("entered_by_user").order_by("-week"))

        checkins = checkins_of(shown)
        # The open episode's panels (adherence, beliefs) read its own check-ins, whichever episode is shown.
        current_checkins = checkins if shown is current else checkins_of(current)
        can_change = self.has_change_permission(request, patient)
        week = services.current_week(patient, current) if current else None
        return {
            "episodes": episodes,
            "current_episode": current,
            "shown_episode": shown,
            "discharge_url": reverse("admin:patients_patient_discharge", args=[patient.pk])
            if can_change and patient.status != Patient.Status.DISCHARGED and current is not None
            else None,
            # Care starts (or starts again) on the intake page: no open episode, or one with no program yet.
            "start_care_url": reverse("admin:patients_patient_start_care", args=[patient.pk])
            if can_change and (current is None or not current.assignments.all())
            else None,
            "reactivate_url": reverse("admin:patients_patient_reactivate", args=[patient.pk])
            if can_change and patient.status == Patient.Status.DISCHARGED and patient.clinic.allow_reactivation
            else None,
            "outcome": outcome,
            "change_words": {
                "odi": scoring.describe_change(outcome.odi, "odi"),
                "nrs": scoring.describe_change(outcome.nrs, "nrs"),
            }
            if outcome
            else None,
            "series": series,
            "chart": trend_chart_svg([(p.week, p.odi, p.pain_nrs) for p in series]) if series else "",
            "checkins": checkins,
            "current_checkins": current_checkins,
            **self.alert_context(request, patient),
            "assign_form": AssignProgramForm(user=request.user, prefix="assign") if can_change else None,
            "can_change": can_change,
            "current_week": week,
            **self.belief_context(request, patient, current, current_checkins, week),
        }

    @staticmethod
    def adherence_context(page: dict[str, Any]) -> dict[str, Any] | None:
        """The open episode's adherence (docs/clinical-rules.md, adherence): each due week's activities, target
        against done, a chart per activity and the coping answers. One query (`episode_adherence`): the episode,
        its program week and its check-ins are the page's (`patient_page_context`)."""
        episode = page.get("current_episode")
        if episode is None:
            return None
        weeks = episode_adherence(episode, page.get("current_week"), checkins=page.get("current_checkins"))
        by_activity: dict[int, list[adherence.ActivityWeek]] = {}
        for week in weeks:
            for activity in week.activities:
                by_activity.setdefault(activity.item, []).append(activity)
        charts = [
            (
                rows[0].title,
                adherence_chart_svg(
                    f"{rows[0].title}: {rows[0].unit} done against the weekly target",
                    rows[0].unit,
                    [(a.week, a.target, a.done, a.met) for a in rows],
                ),
            )
            for rows in by_activity.values()
        ]
        return {
            "summary": adherence.summarise(weeks),
            "weeks": [week for week in weeks if week.activities],
            "coping": [(week.week, use) for week in weeks for use in week.coping],
            "charts": charts,
        }

    # --- actions on selected patients (each calls a service per patient) ---------------------------------
    def _each(self, request: HttpRequest, queryset: QuerySet, verb: str, call: Any) -> None:
        done, failed = 0, []
        for patient in queryset.select_related(None).order_by("pk"):
            try:
                call(patient)
            except ValidationError as exc:
                failed.append(f"{patient}: {error_text(exc)}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb}: {done} patient(s).", messages.SUCCESS)
        for line in failed:
            self.message_user(request, f"Not {verb.lower()}: {line}", messages.ERROR)

    @admin.action(description="Assign a program to the selected patients")
    def assign_program_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if "apply" in request.POST:
            form = AssignProgramForm(request.POST, user=request.user)
            if form.is_valid():
                self._each(request, queryset, "Assigned", lambda p: self._assign(p, form.cleaned_data, request.user))
                return None
        else:
            form = AssignProgramForm(user=request.user)
        patients = list(queryset.select_related(None).order_by("last_name", "first_name"))
        return self._assign_page(request, form, patients, action="assign_program_action")

    def _assign_page(
        self, request: HttpRequest, form: AssignProgramForm, patients: list[Patient], action: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign a program",
            "form": form,
            "patients": patients,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "action": action,
        }
        return TemplateResponse(request, "admin/patients/patient/assign_program.html", context)

    @admin.action(description="Send a check-in link now")
    def send_checkin_link_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            "Check-in link queued",
            lambda p: services.send_checkin_link_now(patient=p, by=request.user),
        )

    @admin.action(description="Pause reminders")
    def pause_reminders_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            "Paused",
            lambda p: services.set_reminders_paused(patient=p, paused=True, by=request.user),
        )

    @admin.action(description="Resume reminders")
    def resume_reminders_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            "Resumed",
            lambda p: services.set_reminders_paused(patient=p, paused=False, by=request.user),
        )

    @admin.action(description="Discharge…")
    def discharge_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """A confirmation page first (the patients, a date, a note); discharged on its "Discharge" button."""
        patients = list(queryset.select_related(None).order_by("last_name", "first_name"))
        if "apply" in request.POST:
            form = DischargeForm(request.POST)
            if form.is_valid():

                def discharge(patient: Patient) -> None:
                    services.discharge_patient(
                        patient=patient,
                        by=request.user,
                        on=form.cleaned_data["ended_on"],
                        note=form.cleaned_data["discharge_note"],
                    )

                self._each(request, queryset, "Discharged", discharge)
                return None
        else:
            form = DischargeForm(initial={"ended_on": timezone.localdate()})
        return self._discharge_page(request, form, patients, action="discharge_action")

    @admin.action(description="Export the selection (CSV)")
    def export_csv_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        rows = list(queryset.select_related("primary_therapist").order_by("last_name", "first_name"))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="caseload-{timezone.localdate():%Y-%m-%d}.csv"'
        columns = caseload.EXPORT_COLUMNS
        write_csv(response, columns, ([caseload.export_row(row)[key] for key in columns] for row in rows))
        clinics = sorted({row.clinic_id for row in rows})
        for clinic_id in clinics:
            record(
                action="patient.export",
                actor=request.user,
                clinic_id=clinic_id,
                details={"format": "csv", "patients": sum(1 for row in rows if row.clinic_id == clinic_id)},
            )
        return response
