"""The patient's pages: open a magic link, check in, see progress. Server-rendered, no JavaScript.

A link is read once: GET shows a page with one button and uses nothing up (mail scanners and link previews
fetch links before the patient does); the button's POST redeems the link and starts a patient session that
holds only the patient's id and link generation (under a new session key). Every page re-checks both, so
discharge or revoked links end the session too. Reopening a used link in the browser whose session it started
carries on in that session."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from patients import links, services
from patients.charts import trend_chart_svg
from patients.forms import CheckInForm, odi_sections
from patients.models import RED_FLAG_MESSAGES, CheckIn, Episode, Patient
from patients.outcomes import episode_outcome
from patients.plans import WeekPlan, episode_items, week_plan
from programs.rendering import render_markdown

SESSION_PATIENT = "cft_patient_id"
SESSION_GENERATION = "cft_patient_link_generation"

PROBLEM_STATUS = {
    links.LinkProblem.EXPIRED: 410,
    links.LinkProblem.REVOKED: 410,
    links.LinkProblem.USED: 410,
    links.LinkProblem.INVALID: 404,
}


def _problem(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    return render(request, "patients/link_problem.html", {"problem": problem}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        patient = links.redeem(token) if request.method == "POST" else links.check_checkin_token(token)
    except links.LinkError as exc:
        if exc.patient_id is not None and _own_session(request, exc.patient_id):
            return redirect("patients:checkin")
        return _problem(request, exc.problem.value, PROBLEM_STATUS[exc.problem])
    if request.method == "GET":
        return render(request, "patients/open_link.html", {"clinic_name": patient.clinic.name})
    # A new session key, holding nothing but who this patient is (no staff login or earlier patient survives).
    request.session.flush()
    request.session[SESSION_PATIENT] = patient.pk
    request.session[SESSION_GENERATION] = patient.link_generation
    return redirect("patients:checkin")  # the token leaves the address bar and the browser history


def _own_session(request: HttpRequest, patient_id: int) -> bool:
    """Whether this browser already holds a live session of this patient."""
    generation = request.session.get(SESSION_GENERATION)
    return (
        request.session.get(SESSION_PATIENT) == patient_id
        and isinstance(generation, int)
        and Patient.objects.filter(pk=patient_id, link_generation=generation)
        .exclude(status=Patient.Status.DISCHARGED)
        .exists()
    )


def _session_patient(request: HttpRequest) -> Patient | HttpResponse:
    patient_id = request.session.get(SESSION_PATIENT)
    if patient_id is None:
        return _problem(request, "no_session", 403)
    patient = Patient.objects.select_related("clinic").filter(pk=patient_id).first()
    if (
        patient is None
        or patient.status == Patient.Status.DISCHARGED
        or patient.link_generation != request.session.get(SESSION_GENERATION)
    ):
        request.session.flush()
        return _problem(request, links.LinkProblem.REVOKED.value, 410)
    return patient


def _narratives(plan: WeekPlan) -> list[dict[str, Any]]:
    shown = []
    for item in plan.narratives:
        version = item.narrative_version
        shown.append(
            {
                "title": item.title,
                "body": render_markdown(version.body if version else ""),
                "key_messages": [m for m in (version.key_messages if version else "").splitlines() if m.strip()],
            }
        )
    return shown


def _week_or_problem(request: HttpRequest, patient: Patient) -> tuple[Episode, int] | HttpResponse:
    episode = patient.current_episode()
    week = services.current_week(patient, episode) if episode else None
    if episode is None or week is None:
        return render(request, "patients/not_started.html", {"patient": patient}, status=200)
    return episode, week


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    patient = _session_patient(request)
    if isinstance(patient, HttpResponse):
        return patient
    found = _week_or_problem(request, patient)
    if isinstance(found, HttpResponse):
        return found
    episode, week = found
    items = episode_items(episode)
    plan = week_plan(episode, week, items)
    sections = odi_sections(patient.clinic_id)
    status = 200
    if request.method == "POST":
        form = CheckInForm(request.POST, plan=plan, sections=sections)
        if form.is_valid():
            try:
                services.submit_checkin(
                    patient=patient, answers=form.payload(), week=week, episode=episode, items=items
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("patients:checkin-done")
        status = 400
    # Read only when the form is shown: a successful submission never needs it.
    existing = CheckIn.objects.filter(episode=episode, week=week).first()
    if request.method != "POST":
        form = CheckInForm(initial=CheckInForm.initial_from(existing, plan), plan=plan, sections=sections)
    context = {
        "patient": patient,
        "week": week,
        "plan": plan,
        "narratives": _narratives(plan),
        "form": form,
        "existing": existing,
    }
    return render(request, "patients/checkin.html", context, status=status)


@never_cache
@require_GET
def checkin_done(request: HttpRequest) -> HttpResponse:
    patient = _session_patient(request)
    if isinstance(patient, HttpResponse):
        return patient
    found = _week_or_problem(request, patient)
    if isinstance(found, HttpResponse):
        return found
    episode, week = found
    latest = CheckIn.objects.filter(episode=episode, week=week).first()
    if latest is None:
        return redirect("patients:checkin")
    urgency = services.CheckInResult(checkin=latest, created=False, alerts=[]).red_flag_urgency
    outcome = episode_outcome(episode)
    chart = trend_chart_svg(
        [(point.week, point.odi, point.pain_nrs) for point in outcome.series],
        title="Your back pain and activity scores",
    )
    next_plan = week_plan(episode, week + 1, episode_items(episode))
    context = {
        "patient": patient,
        "checkin": latest,
        "week": week,
        "urgency": urgency,
        "urgent_message": RED_FLAG_MESSAGES[urgency] if urgency else "",
        "outcome": outcome,
        "chart": chart,
        "next_plan": next_plan,
    }
    return render(request, "patients/checkin_done.html", context)
