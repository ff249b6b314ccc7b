from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "cyclecrm.feedback"
    label = "feedback"
    verbose_name = "NPS and CSAT surveys"

    def ready(self) -> None:
        from cyclecrm.core.events import subscribe
        from cyclecrm.feedback import registry
        from cyclecrm.feedback.services.csat import on_case_updated

        registry.register_record_types()
        subscribe("case.updated", on_case_updated)
