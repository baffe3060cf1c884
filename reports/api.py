"""API: the outcome report as JSON, and export jobs. Views validate, call selectors/services, serialize."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import client_ip
from clinics.admin_scoping import Can, clinics_where
from reports.selectors import outcome_report
from reports.serializers import ReportQuerySerializer, report_data

if TYPE_CHECKING:
    from reports.models import ExportJob


class IsClinicAdmin(permissions.BasePermission):
    message = "Reports are for clinic admins."

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(clinics_where(request.user, Can.VIEW_REPORTS))


class OutcomeReportView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsClinicAdmin]

    @extend_schema(
        parameters=[ReportQuerySerializer],
        responses={200: OpenApiResponse(description="The outcome report; small groups shown as 'too few'.")},
    )
    def get(self, request: Request) -> Response:
        query = ReportQuerySerializer(data=request.query_params, context={"user": request.user})
        query.is_valid(raise_exception=True)
        report = outcome_report(
            request.user,
            query.report_filter(),
            compare_programs=query.validated_data.get("compare"),
            compare_at=query.validated_data["at"],
            with_trajectories=False,
        )
        return Response(report_data(report, public=True))


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from reports.models import ExportJob

        cast(serializers.ChoiceField, self.fields["kind"]).choices = ExportJob.Kind.choices


class ExportJobSerializer(serializers.Serializer):
    """The shape of `job_data` below, for the OpenAPI schema."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    rows = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    download = serializers.URLField(allow_null=True)


class ExportJobListView(APIView):
    """POST ?<report query> {"kind": "csv_checkins"} queues an export of the report's patients."""

    permission_classes = [permissions.IsAuthenticated, IsClinicAdmin]

    @extend_schema(
        parameters=[ReportQuerySerializer], request=ExportRequestSerializer, responses={202: ExportJobSerializer}
    )
    def post(self, request: Request) -> Response:
        from reports.services import request_export

        query = ReportQuerySerializer(data=request.query_params, context={"user": request.user})
        query.is_valid(raise_exception=True)
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = request_export(
            user=request.user,
            filters=query.report_filter(),
            kind=body.validated_data["kind"],
            compare_programs=query.validated_data.get("compare"),
            compare_at=query.validated_data["at"],
        )
        return Response(job_data(job, request), status=status.HTTP_202_ACCEPTED)


class ExportJobDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsClinicAdmin]

    @extend_schema(responses=ExportJobSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        from django.shortcuts import get_object_or_404

        from reports.models import ExportJob

        job = get_object_or_404(ExportJob.objects.for_user(request.user), uuid=uuid)
        return Response(job_data(job, request))


class ExportJobDownloadView(APIView):
    """The export's file for API clients (token or session): 401 without credentials, 403 for staff who are
    not clinic admins, 404 for another clinic's, unfinished or expired export. Each download is audited."""

    permission_classes = [permissions.IsAuthenticated, IsClinicAdmin]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="The export file.")})
    def get(self, request: Request, uuid: str) -> FileResponse:
        from django.shortcuts import get_object_or_404

        from reports import services
        from reports.models import ExportJob

        job = get_object_or_404(ExportJob.objects.for_user(request.user), uuid=uuid)
        path = services.export_path(job)
        if not job.is_downloadable or not path.is_file():
            raise Http404("This export has expired or is not ready.")
        services.record_download(job=job, user=request.user, ip_address=client_ip(request))
        return FileResponse(path.open("rb"), as_attachment=True, filename=job.download_name)


def job_data(job: ExportJob, request: Request) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "id": str(job.uuid),
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "rows": job.rows_done,
        "error": job.error,
        "created_at": job.created_at,
        "expires_at": job.expires_at,
        # The API's own download (token auth); the page links the browser view, which needs a session.
        "download": request.build_absolute_uri(reverse("reports-export-download", args=[job.uuid]))
        if job.is_downloadable
        else None,
    }
