"""The patient's pages: open a magic link, read their program, check in, see progress, choose their language.
Server-rendered, no JavaScript, in the patient's language (`patient_page`).

A link is read once: GET shows a page with one button and uses nothing up (mail scanners and link previews
fetch links before the patient does); the button's POST redeems the link and starts a patient session that
holds only the patient's id and link generation (under a new session key). Every page re-checks both, so
discharge or revoked links end the session too. Reopening a used link in the browser whose session it started
carries on in that session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from patients import beliefs, dates, links, progress, services
from patients.belief_wording import belief_section
from patients.content import in_language, plan_in_language
from patients.forms import CheckInForm, odi_sections
from patients.models import RED_FLAG_MESSAGES, AssignmentItem, CheckIn, Episode, Patient
from patients.outcomes import episode_outcome
from patients.plans import earlier_narratives, episode_items, reported_done, week_plan
from programs.rendering import render_markdown

SESSION_PATIENT = "cft_patient_id"
SESSION_GENERATION = "cft_patient_link_generation"

PROBLEM_STATUS = {
    links.LinkProblem.EXPIRED: 410,
    links.LinkProblem.REVOKED: 410,
    links.LinkProblem.USED: 410,
    links.LinkProblem.INVALID: 404,
}


# Where a link's button leads (`?next=` on the emailed link): the check-in by default. A fixed table, so the
# parameter can never send the patient to another site.
NEXT_PAGES = {"program": "patients:program"}


def _next_page(request: HttpRequest) -> str:
    return NEXT_PAGES.get(request.GET.get("next", ""), "patients:checkin")


def _problem(request: HttpRequest, problem: str, status: int, language: str | None = None) -> HttpResponse:
    """What went wrong with a link, in the language of its patient where we know who it was, else in the one
    the browser asks for (of those we offer)."""
    with translation.override(language or translation.get_language_from_request(request)):
        return render(request, "patients/link_problem.html", {"problem": problem}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        patient = links.redeem(token) if request.method == "POST" else links.check_checkin_token(token)
    except links.LinkError as exc:
        if exc.patient_id is not None and _own_session(request, exc.patient_id):
            return redirect(_next_page(request))
        known = None
        if exc.patient_id is not None:  # a used link: we know whose it was
            known = Patient.objects.filter(pk=exc.patient_id).values_list("language", flat=True).first()
        return _problem(request, exc.problem.value, PROBLEM_STATUS[exc.problem], known)
    if request.method == "GET":
        return _render(
            request, patient, "patients/open_link.html", {"clinic_name": patient.clinic.name}, signed_in=False
        )
    # A new session key, holding nothing but who this patient is (no staff login or earlier patient survives).
    request.session.flush()
    request.session[SESSION_PATIENT] = patient.pk
    request.session[SESSION_GENERATION] = patient.link_generation
    return redirect(_next_page(request))  # the token leaves the address bar and the browser history


def _render(
    request: HttpRequest,
    patient: Patient,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    *,
    here: str = "",
    signed_in: bool = True,
) -> HttpResponse:
    """A patient page in the patient's own language, with their clinic for the emergency panel and, once signed
    in, the links between their pages and the choice of language (`here` names this page for its return)."""
    context = {**context, "patient": patient, "clinic": patient.clinic, "signed_in": signed_in, "here": here}
    context["languages"] = settings.LANGUAGES
    with translation.override(patient.language):
        return render(request, template, context, status=status)


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
        return _problem(request, links.LinkProblem.REVOKED.value, 410, patient.language if patient else None)
    return patient


def patient_page(view: Callable[[HttpRequest, Patient], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A page of the signed-in patient, run in the patient's language (forms, messages and dates included)."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        patient = _session_patient(request)
        if isinstance(patient, HttpResponse):
            return patient
        with translation.override(patient.language):
            return view(request, patient)

    return wrapped


def _narratives(items: list[AssignmentItem]) -> list[dict[str, Any]]:
    """Narratives to show, from display copies in the patient's language (`patients.content`)."""
    shown = []
    for item in items:
        version = item.narrative_version
        shown.append(
            {
                "title": item.title,
                "body": render_markdown(version.body if version else ""),
                "key_messages": [m for m in (version.key_messages if version else "").splitlines() if m.strip()],
                "fallback": getattr(item, "fallback", None),
            }
        )
    return shown


def _week_or_problem(request: HttpRequest, patient: Patient) -> tuple[Episode, int] | HttpResponse:
    episode = patient.current_episode()
    week = services.current_week(patient, episode) if episode else None
    if episode is None or week is None:
        return _render(request, patient, "patients/not_started.html", {})
    return episode, week


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def checkin(request: HttpRequest, patient: Patient) -> HttpResponse:
    found = _week_or_problem(request, patient)
    if isinstance(found, HttpResponse):
        return found
    episode, week = found
    items = episode_items(episode)
    # The plan as the patient reads it (their language); the service gets their own items.
    plan = plan_in_language(week_plan(episode, week, items), patient.language)
    sections = odi_sections(patient.clinic_id, patient.language)
    asked = belief_section(patient.clinic_id, patient.language) if beliefs.is_due(week) else None
    status = 200
    if request.method == "POST":
        form = CheckInForm(request.POST, plan=plan, sections=sections, belief_section=asked)
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
        form = CheckInForm(
            initial=CheckInForm.initial_from(existing, plan), plan=plan, sections=sections, belief_section=asked
        )
    context = {
        "patient": patient,
        "week": week,
        "plan": plan,
        "narratives": _narratives(plan.narratives),
        "form": form,
        "existing": existing,
    }
    return _render(request, patient, "patients/checkin.html", context, status=status, here="checkin")


@never_cache
@require_GET
@patient_page
def checkin_done(request: HttpRequest, patient: Patient) -> HttpResponse:
    found = _week_or_problem(request, patient)
    if isinstance(found, HttpResponse):
        return found
    episode, week = found
    latest = CheckIn.objects.filter(episode=episode, week=week).first()
    if latest is None:
        return redirect("patients:checkin")
    urgency = services.CheckInResult(checkin=latest, created=False, alerts=[]).red_flag_urgency
    outcome = episode_outcome(episode)
    next_plan = plan_in_language(week_plan(episode, week + 1, episode_items(episode)), patient.language)
    context = {
        "patient": patient,
        "checkin": latest,
        "week": week,
        "urgency": urgency,
        "urgent_message": RED_FLAG_MESSAGES[urgency] if urgency else "",
        "outcome": outcome,
        "next_plan": next_plan,
    }
    context["chart"] = progress.progress_chart(outcome)
    context["change"] = progress.progress_sentences(outcome)
    return _render(request, patient, "patients/checkin_done.html", context, here="done")


@never_cache
@require_GET
@patient_page
def program(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The patient's program to read between check-ins: this week's narratives (and earlier ones), each coping
    strategy in full, this week's activity goals beside what they reported, and the next check-in day."""
    found = _week_or_problem(request, patient)
    if isinstance(found, HttpResponse):
        return found
    episode, week = found
    items = episode_items(episode)
    plan = plan_in_language(week_plan(episode, week, items), patient.language)
    earlier = in_language(earlier_narratives(week, items, episode.week_one_starts_on()), patient.language)
    existing = CheckIn.objects.filter(episode=episode, week=week).first()
    done = reported_done(existing)
    context = {
        "patient": patient,
        "week": week,
        "plan": plan,
        "narratives": _narratives(plan.narratives),
        "earlier_narratives": _narratives(earlier),
        "activities": [(quota, done.get(quota.item.pk)) for quota in plan.activities],
        "existing": existing,
        "next_checkin": dates.next_checkin_day(
            patient.local_today(), patient.checkin_weekday, checked_in=existing is not None
        ),
    }
    return _render(request, patient, "patients/program.html", context, here="program")


LANGUAGE_RETURN = {"checkin": "patients:checkin", "done": "patients:checkin-done", "program": "patients:program"}


@never_cache
@require_POST
@patient_page
def change_language(request: HttpRequest, patient: Patient) -> HttpResponse:
    """The patient chooses the language of their pages and emails (`Patient.language`)."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("language: choose one of the languages offered."))
    services.update_patient(patient=patient, language=language)
    return redirect(LANGUAGE_RETURN.get(request.POST.get("next", ""), "patients:checkin"))
