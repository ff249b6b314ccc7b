from django.apps import AppConfig


class NurtureConfig(AppConfig):
    name = "cyclecrm.nurture"
    label = "nurture"
    verbose_name = "Nurture sequences"

    def ready(self) -> None:
        from cyclecrm.core.events import subscribe
        from cyclecrm.core.registry import register
        from cyclecrm.nurture import hooks
        from cyclecrm.nurture.models import Sequence

        register("sequence", "Sequences", Sequence)
        for name, handler in hooks.HANDLERS.items():
            subscribe(name, handler)
