from django.urls import path

from reports import api

urlpatterns = [
    path("outcomes/", api.OutcomeReportView.as_view(), name="reports-outcomes"),
    path("exports/", api.ExportJobListView.as_view(), name="reports-exports"),
    path("exports/<uuid:uuid>/", api.ExportJobDetailView.as_view(), name="reports-export-detail"),
    path("exports/<uuid:uuid>/download/", api.ExportJobDownloadView.as_view(), name="reports-export-download"),
]
