from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "cyclecrm.intelligence"
    label = "intelligence"
    verbose_name = "Customer intelligence"

    def ready(self) -> None:
        from cyclecrm.core.registry import register
        from cyclecrm.intelligence import trainers
        from cyclecrm.intelligence.models import ModelRun

        register("model_run", "Predictive models", ModelRun)
        trainers.load_all()
