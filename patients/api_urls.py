from django.urls import path

from patients import api

urlpatterns = [
    path("auth/token/", api.StaffTokenView.as_view(), name="api-auth-token"),
    path("auth/tokens/", api.StaffTokenListView.as_view(), name="api-auth-tokens"),
    path("auth/tokens/<str:token_id>/", api.StaffTokenRevokeView.as_view(), name="api-auth-token-revoke"),
    path("auth/logout/", api.StaffLogoutView.as_view(), name="api-auth-logout"),
    path("auth/logout-all/", api.StaffLogoutAllView.as_view(), name="api-auth-logout-all"),
    path("me/session/", api.PatientSessionView.as_view(), name="api-me-session"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/program/", api.MeProgramView.as_view(), name="api-me-program"),
    path("me/checkins/", api.MeCheckInsView.as_view(), name="api-me-checkins"),
    path("me/outcomes/", api.MeOutcomesView.as_view(), name="api-me-outcomes"),
    path("patients/", api.PatientListView.as_view(), name="api-patients"),
    path("patients/<int:patient_id>/", api.PatientDetailView.as_view(), name="api-patient"),
    path("patients/<int:patient_id>/checkins/", api.PatientCheckInsView.as_view(), name="api-patient-checkins"),
    path("patients/<int:patient_id>/outcomes/", api.PatientOutcomesView.as_view(), name="api-patient-outcomes"),
    path(
        "patients/<int:patient_id>/assignments/",
        api.PatientAssignmentsView.as_view(),
        name="api-patient-assignments",
    ),
    path("alerts/", api.AlertListView.as_view(), name="api-alerts"),
    path("alerts/<int:alert_id>/acknowledge/", api.AlertAcknowledgeView.as_view(), name="api-alert-acknowledge"),
]
