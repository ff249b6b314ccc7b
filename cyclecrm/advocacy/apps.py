from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "cyclecrm.advocacy"
    label = "advocacy"
    verbose_name = "Reviews, testimonials and advocates"

    def ready(self) -> None:
        from cyclecrm.advocacy import registry
        from cyclecrm.advocacy.review_triggers import SUBSCRIPTIONS
        from cyclecrm.core.events import subscribe

        registry.register_record_types()
        for name, handler in SUBSCRIPTIONS.items():
            subscribe(name, handler)
