from ninja import Router

programs_router = Router(tags=["Loyalty programs"])
members_router = Router(tags=["Loyalty members"])
