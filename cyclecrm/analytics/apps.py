from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "cyclecrm.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from cyclecrm.analytics import registry
        from cyclecrm.analytics.kpis import cache, catalog

        registry.register_record_types()
        catalog.load()
        cache.connect_signals()
