from django.apps import AppConfig


class SpokesConfig(AppConfig):
    name = "spokes"
    verbose_name = "Spokes and governance"
