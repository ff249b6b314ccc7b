from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.loyalty.models import LoyaltyProgram

    register("loyalty_program", "Loyalty programs", LoyaltyProgram)
