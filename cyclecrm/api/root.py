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


_mount_routers()
