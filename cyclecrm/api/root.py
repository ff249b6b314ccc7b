"""The NinjaAPI root under /api/v1: authentication, the error envelope, and every app's router."""

from ninja import NinjaAPI

from cyclecrm.api.auth import api_auth
from cyclecrm.api.errors import install_error_handlers

api = NinjaAPI(
    title="Cycle CRM API",
    version="1",
    description=(
        "REST API of Cycle CRM. Authenticate with `Authorization: Bearer <token>`. Lists take "
        "`limit` and an opaque `cursor` (from `next_cursor`), `q` for search, `ordering` and "
        "field filters. Errors share one body: "
        '`{"error": {"code": "...", "message": "...", "fields": {"field": ["reason"]}}}`.'
    ),
    auth=api_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


def _mount_routers() -> None:
    from cyclecrm.contacts.api import accounts_router, contacts_router
    from cyclecrm.identity.api import (
        custom_fields_router,
        tags_router,
        teams_router,
        tokens_router,
        users_router,
    )

    api.add_router("/accounts", accounts_router)
    api.add_router("/contacts", contacts_router)
    api.add_router("/users", users_router)
    api.add_router("/teams", teams_router)
    api.add_router("/tags", tags_router)
    api.add_router("/custom-fields", custom_fields_router)
    api.add_router("/tokens", tokens_router)
    _mount_lead_to_customer()


def _mount_lead_to_customer() -> None:
    from cyclecrm.activities.api import tasks_router
    from cyclecrm.catalog.api import (
        orders_router,
        price_books_router,
        products_router,
        quotes_router,
    )
    from cyclecrm.leads.api import (
        assignment_rules_router,
        grades_router,
        leads_router,
        scoring_rules_router,
    )
    from cyclecrm.leads.capture.api import capture_forms_router, public_forms_router
    from cyclecrm.pipeline.api import (
        exchange_rates_router,
        onboarding_templates_router,
        onboardings_router,
        opportunities_router,
        pipeline_analytics_router,
        pipelines_router,
    )

    api.add_router("/leads", leads_router)
    api.add_router("/scoring-rules", scoring_rules_router)
    api.add_router("/lead-grades", grades_router)
    api.add_router("/assignment-rules", assignment_rules_router)
    api.add_router("/capture-forms", capture_forms_router)
    api.add_router("/forms", public_forms_router)
    api.add_router("/opportunities", opportunities_router)
    api.add_router("/pipelines", pipelines_router)
    api.add_router("/pipeline", pipeline_analytics_router)
    api.add_router("/exchange-rates", exchange_rates_router)
    api.add_router("/onboardings", onboardings_router)
    api.add_router("/onboarding-templates", onboarding_templates_router)
    api.add_router("/products", products_router)
    api.add_router("/price-books", price_books_router)
    api.add_router("/quotes", quotes_router)
    api.add_router("/orders", orders_router)
    api.add_router("/tasks", tasks_router)


_mount_routers()
