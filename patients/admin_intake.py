"""The first visit's "Start care" page: the program and its start, the week-0 baseline taken with the patient
(ODI in the clinic's wording and the patient's language, NRS, beliefs, red flags), consent to reminders and the
first check-in link, saved in one go by `services.start_care`. A new patient lands here after being added; a
discharged patient who returns starts their new episode here.

A mixin of `PatientAdmin` (patients/admin.py), kept apart as the belief and alert panels are."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation

from patients import beliefs, services
from patients.belief_wording import belief_section
from patients.dates import validate_program_start
from patients.forms import CheckInForm, odi_sections
from patients.models import Patient
from patients.plans import WeekPlan, late_start_notice
from programs.models import Program


def confirm_week_field() -> forms.IntegerField:
    """The program week a late start was confirmed for: set when the form shows its notice (`confirm_late_start`)."""
    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=32767)


def confirm_late_start(form: forms.Form, today: Any) -> None:
    """A start date in the past lands the patient in a later week of the program: say which, with its targets,
    and save only when the form comes back with that week confirmed (saving again after reading the notice)."""
    data = form.cleaned_data
    program, start = data.get("program"), data.get("start_date")
    notice = late_start_notice(program, start, today) if program is not None and start is not None else None
    if notice is None or data.get("confirm_week") == notice[0]:
        return
    form.add_error("start_date", notice[1])
    # The page shown again carries the week, so saving it again is the confirmation.
    data = cast(QueryDict, form.data).copy()
    data[form.add_prefix("confirm_week")] = str(notice[0])
    form.data = data


# The service's errors that belong to the care form; every other field is the baseline's.
CARE_FIELDS = ("program", "start_date", "goals", "reminder_consent", "send_link", "confirm_week")


class StartCareForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label="Program")
    start_date = forms.DateField(
        label="Program start date",
        validators=[validate_program_start],
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Week 1 begins on this day. Today's answers are the baseline (week 0).",
    )
    goals = forms.CharField(
        label="The patient's goals",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In their own words.",
    )
    reminder_consent = forms.BooleanField(
        label="The patient agrees to weekly check-in reminders by email", required=False
    )
    send_link = forms.BooleanField(
        label="Send the first check-in link now",
        required=False,
        initial=True,
        help_text="Sent when the program has begun; a later start brings the link with the first weekly reminder.",
    )

    confirm_week = confirm_week_field()

    def __init__(self, *args: Any, user: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        # The built-in library's programs and the patient's own clinic's (not another clinic's, even for staff of both).
        programs = Program.objects.for_user(user).filter(Q(clinic__isnull=True) | Q(clinic_id=patient.clinic_id))
        programs = programs.order_by("clinic_id", "title")
        cast(forms.ModelChoiceField, self.fields["program"]).queryset = programs

    def clean(self) -> dict[str, Any]:
        super().clean()
        confirm_late_start(self, self.patient.local_today())
        return self.cleaned_data


class IntakeMixin:
    def intake_urls(self, wrap: Any) -> list[Any]:
        return [path("<path:object_id>/start-care/", wrap(self.start_care_view), name="patients_patient_start_care")]

    def start_care_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        admin = cast(Any, self)
        patient: Patient = admin.patient_to_change(request, object_id)
        data = request.POST if request.method == "POST" else None
        care = StartCareForm(data, user=request.user, patient=patient, initial={"reminder_consent": True})
        # The questionnaire as the patient reads it: in their language and the clinic's wording.
        with translation.override(patient.language):
            baseline = CheckInForm(
                data,
                prefix="baseline",
                plan=WeekPlan(week=0),
                sections=odi_sections(patient.clinic_id, patient.language),
                belief_section=belief_section(patient.clinic_id, patient.language) if beliefs.is_due(0) else None,
            )
            valid = care.is_valid() & baseline.is_valid()  # both, so every error shows at once
        if data is not None and valid:
            try:
                started = services.start_care(
                    patient=patient,
                    program=care.cleaned_data["program"],
                    start_date=care.cleaned_data["start_date"],
                    goals=care.cleaned_data["goals"],
                    baseline=baseline.payload(),
                    reminder_consent=care.cleaned_data["reminder_consent"],
                    send_link=care.cleaned_data["send_link"],
                    by=request.user,
                )
            except ValidationError as exc:
                self._add_errors(care, baseline, exc)
            else:
                self._report(request, patient, started)
                return HttpResponseRedirect(reverse("admin:patients_patient_change", args=[patient.pk]))
        context = {
            **admin.admin_site.each_context(request),
            "title": f"Start care: {patient}",
            "patient": patient,
            "care": care,
            "baseline": baseline,
            "patient_language": translation.get_language_info(patient.language)["name_local"],
            "opts": admin.model._meta,
        }
        status = 400 if data is not None else 200
        return TemplateResponse(request, "admin/patients/patient/start_care.html", context, status=status)

    @staticmethod
    def _add_errors(care: StartCareForm, baseline: CheckInForm, exc: ValidationError) -> None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for field, texts in errors.items():
            if field in CARE_FIELDS:
                care.add_error(field, texts)
            else:
                baseline.add_service_errors(ValidationError({field: texts}))

    def _report(self, request: HttpRequest, patient: Patient, started: services.CareStarted) -> None:
        admin = cast(Any, self)
        if started.link_sent:
            link = "The first check-in link is on its way."
        elif started.link_refused:
            link = f"No check-in link was sent: {started.link_refused}"
        else:
            link = "No check-in link was sent now."
        admin.message_user(
            request,
            f"Care started: {started.assignment.title} from {started.assignment.start_date}, baseline recorded. {link}",
            messages.SUCCESS,
        )
        if started.baseline.red_flag_urgency:
            admin.message_user(
                request,
                "The baseline has a red flag: an alert is open on the patient page. "
                "Act on it before the patient leaves.",
                messages.WARNING,
            )
