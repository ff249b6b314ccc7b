from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "cyclecrm.activities"
    label = "activities"
    verbose_name = "Activities and tasks"

    def ready(self) -> None:
        from cyclecrm.activities import registry

        registry.register_record_types()
