from ninja import Router

opportunities_router = Router(tags=["opportunities"])
pipelines_router = Router(tags=["pipelines"])
pipeline_analytics_router = Router(tags=["pipeline analytics"])
exchange_rates_router = Router(tags=["exchange rates"])
onboardings_router = Router(tags=["onboarding"])
onboarding_templates_router = Router(tags=["onboarding"])
