from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "cyclecrm.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from huey.contrib.djhuey import HUEY

        from cyclecrm.core.registry import register
        from cyclecrm.jobs import tracking
        from cyclecrm.jobs.models import Job

        register("job", "Background jobs", Job)
        tracking.connect(HUEY)
