from ninja import Router

leads_router = Router(tags=["leads"])
scoring_rules_router = Router(tags=["lead scoring"])
grades_router = Router(tags=["lead scoring"])
assignment_rules_router = Router(tags=["lead assignment"])
