from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "cyclecrm.segments"
    label = "segments"
    verbose_name = "Segments and static lists"

    def ready(self) -> None:
        from cyclecrm.segments import registry

        registry.register_record_types()
