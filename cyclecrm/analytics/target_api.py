"""/api/v1/quotas and /api/v1/sales-costs: the sales targets and costs KPIs compare against."""

from ninja import Router

quotas_router = Router(tags=["quotas"])
sales_costs_router = Router(tags=["sales costs"])
