from ninja import Router

rewards_router = Router(tags=["Loyalty rewards"])
redemptions_router = Router(tags=["Loyalty rewards"])
statements_router = Router(tags=["Loyalty statements"])
public_statements_router = Router(tags=["Public"])
