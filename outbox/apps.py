from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"

    def ready(self) -> None:
        from outbox import signals  # noqa: F401  (connects the worker's confirmations)
