from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patients.links import PAUSE_SALT, LinkError, LinkProblem, read_token
from patients.models import Patient
from patients.services import set_reminders_paused

# Pausing is harmless and the link sits in old emails: it stays valid longer than a check-in link.
PAUSE_LINK_MAX_AGE = dt.timedelta(days=90)

PROBLEMS = {
    LinkProblem.EXPIRED: "This pause link has expired. Use the link in your most recent reminder email, "
    "or contact your clinic.",
    LinkProblem.INVALID: "This pause link is not valid. Check that you copied the whole link from the email, "
    "or contact your clinic.",
    LinkProblem.REVOKED: "This pause link no longer works. If you still receive reminders, contact your clinic.",
}


@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs come without a CSRF cookie
@require_http_methods(["GET", "POST"])
def pause_reminders(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (mail scanners follow links; they must not pause anyone); POST pauses."""
    try:
        patient = read_token(token, PAUSE_SALT, max_age=PAUSE_LINK_MAX_AGE)
    except LinkError as exc:
        context: dict[str, object] = {"title": "This link does not work", "message": PROBLEMS[exc.problem]}
        return render(request, "reminders/pause.html", context, status=400)
    clinic_name = patient.clinic.name
    if patient.status == Patient.Status.PAUSED:
        message = f"Your reminders from {clinic_name} are paused. You will get no more reminder emails."
        return render(request, "reminders/pause.html", {"title": "Reminders paused", "message": message})
    if request.method == "POST":
        set_reminders_paused(patient=patient, paused=True)
        message = (
            f"Your reminders from {clinic_name} are paused. You will get no more reminder emails. "
            "You can ask your clinic to start them again at any time."
        )
        return render(request, "reminders/pause.html", {"title": "Reminders paused", "message": message})
    context = {
        "title": "Pause your reminders?",
        "message": f"You will stop receiving weekly check-in reminders from {clinic_name}.",
        "show_button": True,
        "clinic_name": clinic_name,
    }
    return render(request, "reminders/pause.html", context)
