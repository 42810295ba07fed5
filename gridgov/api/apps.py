from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "gridgov.api"
    label = "api"
    verbose_name = "Open API"

    def ready(self):
        # Registers the OpenAPI extensions (authentication schemes) with drf-spectacular.
        from gridgov.api import schema  # noqa: F401
