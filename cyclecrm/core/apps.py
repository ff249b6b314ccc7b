from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cyclecrm.core"
    label = "core"
    verbose_name = "Core"
