from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("pause/<str:token>/", views.pause_reminders, name="pause"),
]
