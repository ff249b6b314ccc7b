from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "cyclecrm.campaigns"
    label = "campaigns"
    verbose_name = "Marketing campaigns"

    def ready(self) -> None:
        from cyclecrm.campaigns import registry

        registry.register_record_types()
