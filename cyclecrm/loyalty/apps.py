from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "cyclecrm.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty and referral programs"

    def ready(self) -> None:
        from cyclecrm.loyalty import registry

        registry.register_record_types()

        from cyclecrm.loyalty.referral_rewards import subscribe_handlers

        subscribe_handlers()
