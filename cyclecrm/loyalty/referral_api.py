from ninja import Router

referrals_router = Router(tags=["Referrals"])
