from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "cyclecrm.pipeline"
    label = "pipeline"
    verbose_name = "Pipeline"

    def ready(self) -> None:
        from cyclecrm.pipeline import registry

        registry.register_record_types()
