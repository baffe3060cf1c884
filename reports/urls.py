from django.urls import path, re_path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_page, name="page"),
    path("exports/", views.request_export_view, name="request_export"),
    path("exports/<uuid:uuid>/download/", views.download, name="download"),
    re_path(r"^export/(?P<kind>checkins|episodes)\.csv$", views.stream_csv, name="stream_csv"),
]
