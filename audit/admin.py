from typing import Any

from django.contrib import admin
from django.http import HttpRequest, StreamingHttpResponse

from audit.models import AuditEvent
from audit.services import client_ip, record
from cft.spreadsheets import stream_csv
from clinics.models import is_clinic_admin


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, for clinic admins (their clinic) and superusers; exportable as CSV; never editable."""

    list_display = ("at", "actor_label", "action", "patient_id", "object_type", "object_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "=patient_id")
    date_hierarchy = "at"
    show_full_result_count = False
    actions = ["export_csv"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return AuditEvent.objects.for_user(request.user).select_related("clinic")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_clinic_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_clinic_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Export selected events as CSV")
    def export_csv(self, request: HttpRequest, queryset: Any) -> StreamingHttpResponse:
        # One entry in each exported clinic's own log, so its admins see that their log left the app.
        for clinic_id in queryset.order_by().values_list("clinic_id", flat=True).distinct():
            record(action="export.audit_log", actor=request.user, clinic_id=clinic_id, ip_address=client_ip(request))
        header = ["at", "actor", "action", "clinic_id", "patient_id", "object_type", "object_id", "ip_address"]
        rows = queryset.values_list(
            "at", "actor_label", "action", "clinic_id", "patient_id", "object_type", "object_id", "ip_address"
        )
        response = StreamingHttpResponse(stream_csv(header, rows.iterator()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response
