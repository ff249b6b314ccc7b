from ninja import Router

advocates_router = Router(tags=["Advocates"])
