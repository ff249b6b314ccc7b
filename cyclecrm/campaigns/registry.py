from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.campaigns.models import Campaign

    register("campaign", "Campaigns", Campaign)
