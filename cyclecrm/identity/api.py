from ninja import Router

users_router = Router(tags=["users"])
teams_router = Router(tags=["teams"])
tags_router = Router(tags=["tags"])
custom_fields_router = Router(tags=["custom fields"])
tokens_router = Router(tags=["tokens"])
