from django.apps import AppConfig


class SpokesConfig(AppConfig):
    name = "spokes"
    verbose_name = "Communities, governance bodies and policies"
