from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cft.health import healthz
from cft.views import home, livez
from clinics.two_factor import two_factor

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("account/two-factor/", two_factor, name="two-factor"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("patients.api_urls")),
    path("api/v1/", include("programs.api_urls")),
    path("api/v1/reports/", include("reports.api_urls")),
    path("reports/", include("reports.urls")),
    path("reminders/", include("reminders.urls")),
    path("", home, name="home"),
    path("", include("patients.urls")),
]

handler404 = "cft.views.not_found"
handler500 = "cft.views.server_error"
