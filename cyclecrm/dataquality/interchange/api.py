"""REST routes of this area, mounted by `dataquality.api.ROUTERS`."""

from ninja import Router

router = Router(tags=["interchange"])
