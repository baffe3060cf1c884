from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cft.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("patients.api_urls")),
    path("api/v1/", include("programs.api_urls")),
    path("api/v1/reports/", include("reports.api_urls")),
    path("reports/", include("reports.urls")),
    path("reminders/", include("reminders.urls")),
    path("", include("patients.urls")),
]
