from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.analytics.models import Quota, SalesCost

    register("quota", "Sales quotas", Quota, owner_field="user")
    register("sales_cost", "Sales costs", SalesCost, owner_field=None)
