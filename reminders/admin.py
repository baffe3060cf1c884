from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from reminders import services
from reminders.models import AlertNotification, Reminder, TherapistDigest


class ScopedAdmin(admin.ModelAdmin):
    """Rows of the user's clinics only (`for_user`, clinics/models.py); the rows are written by the app."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs: Any = super().get_queryset(request)  # each model's queryset has its own `for_user`
        return qs.for_user(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(ScopedAdmin):
    list_display = ["patient", "kind", "week", "due_at", "status", "attempts", "sent_at", "short_error"]
    list_filter = ["status", "kind"]
    list_select_related = ["patient"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__record_number"]
    date_hierarchy = "due_at"
    actions = ["resend"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    @admin.display(description="Error")
    def short_error(self, obj: Reminder) -> str:
        return obj.last_error[:120]

    @admin.action(description="Resend the selected failed reminders")
    def resend(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        queued = sum(
            services.resend_reminder(reminder=reminder, by=request.user)
            for reminder in queryset.select_related("patient")
        )
        skipped = queryset.count() - queued
        if queued:
            self.message_user(request, f"{queued} reminder(s) queued to be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} reminder(s) not resent: only failed reminders can be resent.", messages.WARNING
            )

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not request.user.has_perm("reminders.change_reminder") and not request.user.is_superuser:
            actions.pop("resend", None)
        return actions


@admin.register(AlertNotification)
class AlertNotificationAdmin(ScopedAdmin):
    list_display = ["alert", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in AlertNotification._meta.fields]


@admin.register(TherapistDigest)
class TherapistDigestAdmin(ScopedAdmin):
    list_display = ["therapist", "day", "patient_count", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "day"]
    readonly_fields = [f.name for f in TherapistDigest._meta.fields]
