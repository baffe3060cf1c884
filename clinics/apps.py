from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from clinics.sessions import keep_only_the_signed_in_user

        user_logged_in.connect(keep_only_the_signed_in_user, dispatch_uid="clinics.keep_only_the_signed_in_user")
