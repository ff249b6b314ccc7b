from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "cyclecrm.analytics"
    label = "analytics"
    verbose_name = "Analytics"
