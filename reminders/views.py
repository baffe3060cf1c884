from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patients.links import PAUSE_SALT, LinkError, LinkProblem, read_token
from patients.models import Patient
from patients.services import set_reminders_paused

# Pausing is harmless and the link sits in old emails: it stays valid longer than a check-in link.
PAUSE_LINK_MAX_AGE = dt.timedelta(days=90)

PROBLEMS = {
    LinkProblem.EXPIRED: gettext_noop(
        "This pause link has expired. Use the link in your most recent reminder email, or contact your clinic."
    ),
    LinkProblem.INVALID: gettext_noop(
        "This pause link is not valid. Check that you copied the whole link from the email, or contact your clinic."
    ),
    LinkProblem.REVOKED: gettext_noop(
        "This pause link no longer works. If you still receive reminders, contact your clinic."
    ),
}


@csrf_exempt  # the signed token is the credential; RFC 8058 one-click POSTs come without a CSRF cookie
@require_http_methods(["GET", "POST"])
def pause_reminders(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (mail scanners follow links; they must not pause anyone); POST pauses.
    In the patient's language once the link names them."""
    try:
        patient = read_token(token, PAUSE_SALT, max_age=PAUSE_LINK_MAX_AGE)
    except LinkError as exc:
        context: dict[str, object] = {"title": _("This link does not work"), "message": _(PROBLEMS[exc.problem])}
        return render(request, "reminders/pause.html", context, status=400)
    with translation.override(patient.language):
        return _pause(request, patient)


def _pause(request: HttpRequest, patient: Patient) -> HttpResponse:
    clinic = {"clinic": patient.clinic.name}
    paused = _("Your reminders from %(clinic)s are paused. You will get no more reminder emails.") % clinic
    if patient.status == Patient.Status.PAUSED:
        return render(request, "reminders/pause.html", {"title": _("Reminders paused"), "message": paused})
    if request.method == "POST":
        set_reminders_paused(patient=patient, paused=True)
        again = _("You can ask your clinic to start them again at any time.")
        message = f"{paused} {again}"
        return render(request, "reminders/pause.html", {"title": _("Reminders paused"), "message": message})
    context = {
        "title": _("Pause your reminders?"),
        "message": _("You will stop receiving weekly check-in reminders from %(clinic)s.") % clinic,
        "show_button": True,
        "clinic_name": patient.clinic.name,
    }
    return render(request, "reminders/pause.html", context)
