"""The report page for clinic admins, export requests, downloads and streamed CSV. Thin: validate, call the
selectors and services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from audit.services import client_ip
from cft import spreadsheets
from clinics.admin_scoping import Can, clinics_where, may_view_reports
from clinics.models import Clinic, StaffMembership, clinic_ids_for
from programs.models import Program
from reports import beliefs, exports, services
from reports.charts import trajectory_chart
from reports.disclosure import MIN_GROUP
from reports.models import ExportJob
from reports.selectors import TIMEPOINTS, episode_rows, outcome_report
from reports.serializers import ReportQuerySerializer, therapists_of
from reports.wording import group_sentence

# The names the page gives the query's fields, so an error names what the user sees.
FIELD_LABELS = {
    "clinic": "Clinic",
    "start": "Started from",
    "end": "Started to",
    "program": "Program",
    "therapist": "Therapist",
    "compare": "Compare programs",
    "at": "Compare at",
    "non_field_errors": "Report",
}


def _admin_query(request: HttpRequest) -> ReportQuerySerializer:
    if not may_view_reports(request.user):
        raise PermissionDenied("Reports are for clinic admins.")
    params = QueryDict(mutable=True)
    for key in request.GET:  # an empty menu ("All", "None") is no filter; repeated keys (compare) stay lists
        values = [value for value in request.GET.getlist(key) if value != ""]
        if values:
            params.setlist(key, values)
    return ReportQuerySerializer(data=params, context={"user": request.user})


def _admins_of(user: Any) -> list[Any]:
    """The clinic admins of the user's own clinics: whom to ask for a report."""
    admins = get_user_model().objects.filter(
        is_active=True,
        memberships__clinic__in=clinic_ids_for(user),
        memberships__role=StaffMembership.Role.CLINIC_ADMIN,
    )
    return list(admins.distinct().order_by("last_name", "first_name", "username"))


def _label(timepoint: str) -> str:
    return timepoint.replace("_", " ").capitalize()


@login_required
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    if not may_view_reports(request.user):
        # Still a 403, but a page in the admin's look that says who may see reports, not a bare refusal.
        context = {**admin.site.each_context(request), "title": "Outcome reports", "admins": _admins_of(request.user)}
        return render(request, "reports/no_access.html", context, status=403)
    query = _admin_query(request)
    page = {**admin.site.each_context(request), "title": "Outcome report", "query": request.GET}
    if not query.is_valid():
        errors = [(FIELD_LABELS.get(field, field), " ".join(messages)) for field, messages in query.errors.items()]
        return render(request, "reports/report.html", {**page, "errors": errors}, status=400)
    filters = query.report_filter()
    compared = query.validated_data.get("compare") or (None, None)
    report = outcome_report(
        request.user,
        filters,
        compare_programs=query.validated_data.get("compare"),
        compare_at=query.validated_data["at"],
    )
    jobs = list(ExportJob.objects.for_user(request.user).filter(clinic=filters.clinic)[:10])
    context = {
        **page,
        "report": report,
        "filters": filters,
        "compare_a": compared[0],
        "compare_b": compared[1],
        "at_choices": [(tp, _label(tp)) for tp in TIMEPOINTS],
        "at": query.validated_data["at"],
        "charts": [trajectory_chart(report.trajectories, measure) for measure in ("odi", "nrs")],
        "querystring": request.GET.urlencode(),
        "follow_ups": [(_label(tp), report.overall.outcomes[tp]) for tp in TIMEPOINTS],
        "compare_label": _label(report.comparison.timepoint) if report.comparison else "",
        "min_group": MIN_GROUP,
        "groups": [report.overall, *report.by_program],
        "sentences": [(g, group_sentence(g)) for g in (report.overall, *report.by_program)],
        "belief_rows": beliefs.page_rows(report.beliefs),
        "programs": Program.objects.filter(Q(clinic=filters.clinic) | Q(clinic__isnull=True)).order_by("title"),
        "therapists": therapists_of(filters.clinic.pk),
        "clinics": Clinic.objects.filter(pk__in=clinics_where(request.user, Can.VIEW_REPORTS)).order_by("name"),
        "jobs": jobs,
        "export_kinds": ExportJob.Kind.choices,
        "refresh": any(job.is_running for job in jobs),
    }
    return render(request, "reports/report.html", context)


@login_required
@require_POST
def request_export_view(request: HttpRequest) -> HttpResponse:
    query = _admin_query(request)
    if not query.is_valid() or request.POST.get("kind") not in ExportJob.Kind.values:
        return HttpResponse("Bad export request: check the report filters and the export kind.", status=400)
    services.request_export(
        user=request.user,
        filters=query.report_filter(),
        kind=request.POST["kind"],
        compare_programs=query.validated_data.get("compare"),
        compare_at=query.validated_data["at"],
    )
    return redirect(f"{reverse('reports:page')}?{request.GET.urlencode()}")


@login_required
@require_GET
def download(request: HttpRequest, uuid: str) -> FileResponse:
    job = get_object_or_404(ExportJob.objects.for_user(request.user), uuid=uuid)
    if not job.is_downloadable or not services.export_path(job).exists():
        raise Http404("This export has expired or is not ready.")
    services.record_download(job=job, user=request.user, ip_address=client_ip(request))
    return FileResponse(services.export_path(job).open("rb"), as_attachment=True, filename=job.download_name)


@login_required
@require_GET
def stream_csv(request: HttpRequest, kind: str) -> HttpResponseBase:
    """The check-in or episode CSV streamed straight to the browser (no job, no file)."""
    query = _admin_query(request)
    if not query.is_valid():
        return HttpResponse(str(query.errors), status=400)
    filters = query.report_filter()
    header: list[str]
    if kind == "checkins":
        header, rows = exports.CHECKIN_HEADERS, exports.checkin_rows(request.user, filters)
    else:
        header = exports.EPISODE_HEADERS
        rows = exports.episode_export_rows(episode_rows(request.user, filters), filters.clinic.pk)
    services.record_streamed_export(
        kind=f"csv_{kind}", user=request.user, filters=filters, ip_address=client_ip(request)
    )
    response = StreamingHttpResponse(spreadsheets.stream_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cft-{kind}.csv"'
    return response
