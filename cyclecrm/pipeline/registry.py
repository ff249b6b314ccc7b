from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.pipeline.models import OnboardingTemplate, Opportunity, Pipeline

    register("opportunity", "Opportunities", Opportunity)
    register("pipeline", "Pipelines and stages", Pipeline)
    register("onboarding_template", "Onboarding templates", OnboardingTemplate)
