from django.apps import AppConfig


class DiseasesConfig(AppConfig):
    name = "apps.diseases"
    label = "diseases"
