from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "cyclecrm.leads"
    label = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from cyclecrm.leads import registry

        registry.register_record_types()
