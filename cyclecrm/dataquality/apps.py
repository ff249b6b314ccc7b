from django.apps import AppConfig


class DataQualityConfig(AppConfig):
    name = "cyclecrm.dataquality"
    label = "dataquality"
    verbose_name = "Data quality"

    def ready(self) -> None:
        from cyclecrm.dataquality import registry

        registry.register_record_types()
