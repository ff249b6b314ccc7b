from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "cyclecrm.integrations"
    label = "integrations"
    verbose_name = "E-mail in and out"

    def ready(self) -> None:
        from cyclecrm.integrations import registry

        registry.register_record_types()
