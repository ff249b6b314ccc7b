from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "cyclecrm.web"
    label = "web"
    verbose_name = "Web interface"
