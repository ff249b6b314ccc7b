from ninja import Router

capture_forms_router = Router(tags=["capture forms"])
public_forms_router = Router(tags=["public forms"], auth=None)
