from ninja import Router

accounts_router = Router(tags=["accounts"])
contacts_router = Router(tags=["contacts"])
