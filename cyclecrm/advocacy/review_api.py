from ninja import Router

review_policies_router = Router(tags=["Reviews"])
review_requests_router = Router(tags=["Reviews"])
reviews_router = Router(tags=["Reviews"])
public_reviews_router = Router(tags=["Public"])
