from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.advocacy.models import Review, ReviewPolicy

    register("review_policy", "Review request policies", ReviewPolicy)
    register("review", "Reviews", Review)
