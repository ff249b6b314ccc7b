from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "cyclecrm.advocacy"
    label = "advocacy"
    verbose_name = "Reviews, testimonials and advocates"

    def ready(self) -> None:
        from cyclecrm.advocacy import registry

        registry.register_record_types()
