from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "cyclecrm.mailings"
    label = "mailings"
    verbose_name = "E-mail campaigns"

    def ready(self) -> None:
        from cyclecrm.mailings import registry

        registry.register_record_types()

        from cyclecrm.integrations.services.inbound import register_inbound_filter
        from cyclecrm.mailings.services.bounces import inbound_filter

        register_inbound_filter(inbound_filter)
