from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "cyclecrm.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty and referral programs"

    def ready(self) -> None:
        from cyclecrm.core.events import subscribe
        from cyclecrm.loyalty import earning_hooks, registry

        registry.register_record_types()
        for name, handler in earning_hooks.HANDLERS.items():
            subscribe(name, handler)

        from cyclecrm.loyalty.referral_rewards import subscribe_handlers

        subscribe_handlers()
