from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.feedback.models import Survey

    register("survey", "Surveys", Survey)
