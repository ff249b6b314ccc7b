from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "cyclecrm.support"
    label = "support"
    verbose_name = "Support cases and knowledge base"

    def ready(self) -> None:
        from cyclecrm.support import registry

        registry.register_record_types()
