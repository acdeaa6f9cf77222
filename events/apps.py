from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event log"

    def ready(self) -> None:
        # Every write to the catalog advances the catalog version (events/version.py).
        from events import version

        version.connect()
