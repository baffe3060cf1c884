from django.urls import path

from programs import api

urlpatterns = [
    path("programs/", api.ProgramListView.as_view(), name="api-programs"),
]
