from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/done/", views.checkin_done, name="checkin-done"),
    path("checkin/program/", views.program, name="program"),
    path("checkin/language/", views.change_language, name="language"),
    path("checkin/<str:token>/", views.open_link, name="open-link"),
]
