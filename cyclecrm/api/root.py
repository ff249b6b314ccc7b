"""The NinjaAPI root under /api/v1: authentication, the error envelope, and every app's router."""

from cyclecrm.api.auth import api_auth
from cyclecrm.api.errors import install_error_handlers
from cyclecrm.api.openapi import CrmNinjaAPI
from cyclecrm.api.throttle import ApiThrottle, with_rate_limit_headers

api = CrmNinjaAPI(
    title="Cycle CRM API",
    version="1",
    description=(
        "REST API of Cycle CRM. Authenticate with `Authorization: Bearer <token>`. Lists take "
        "`limit` and an opaque `cursor` (from `next_cursor`), `q` for search, `ordering` and "
        "field filters. Errors share one body: "
        '`{"error": {"code": "...", "message": "...", "fields": {"field": ["reason"]}}}`.'
    ),
    auth=api_auth,
    throttle=[ApiThrottle()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_decorator(with_rate_limit_headers, mode="view")


def _mount_routers() -> None:
    from cyclecrm.contacts.api import accounts_router, contacts_router
    from cyclecrm.identity.api import (
        custom_fields_router,
        tags_router,
        teams_router,
        tokens_router,
        users_router,
    )
    from cyclecrm.identity.security_api import security_events_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/contacts", contacts_router)
    api.add_router("/users", users_router)
    api.add_router("/teams", teams_router)
    api.add_router("/tags", tags_router)
    api.add_router("/custom-fields", custom_fields_router)
    api.add_router("/tokens", tokens_router)
    api.add_router("/security-events", security_events_router)
    _mount_lead_to_customer()
    _mount_email()
    _mount_feedback()
    _mount_segments()
    _mount_jobs()
    _mount_nurture()
    _mount_mailings()
    _mount_campaigns()
    _mount_automation()
    _mount_intelligence()
    _mount_loyalty()
    _mount_advocacy()
    _mount_analytics()
    _mount_dataquality()


def _mount_lead_to_customer() -> None:
    from cyclecrm.activities.api import tasks_router
    from cyclecrm.activities.interaction_api import interactions_router
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
    api.add_router("/activities", interactions_router)
    _mount_support()


def _mount_nurture() -> None:
    from cyclecrm.nurture.api import sequences_router

    api.add_router("/sequences", sequences_router)


def _mount_support() -> None:
    from cyclecrm.support.api import (
        article_categories_router,
        articles_router,
        cases_router,
        queue_calendars_router,
        sla_policies_router,
    )

    api.add_router("/cases", cases_router)
    api.add_router("/sla-policies", sla_policies_router)
    api.add_router("/queue-calendars", queue_calendars_router)
    api.add_router("/articles", articles_router)
    api.add_router("/article-categories", article_categories_router)


def _mount_email() -> None:
    from cyclecrm.integrations.api import email_templates_router, emails_router, mailboxes_router

    api.add_router("/emails", emails_router)
    api.add_router("/email-templates", email_templates_router)
    api.add_router("/mailboxes", mailboxes_router)


def _mount_feedback() -> None:
    from cyclecrm.feedback.api import public_surveys_router, surveys_router

    api.add_router("/surveys", surveys_router)
    api.add_router("/public/surveys", public_surveys_router)


def _mount_jobs() -> None:
    from cyclecrm.jobs.api import jobs_router

    api.add_router("/jobs", jobs_router)


def _mount_segments() -> None:
    from cyclecrm.segments.api import segments_router
    from cyclecrm.segments.persona_api import personas_router

    api.add_router("/segments", segments_router)
    api.add_router("/personas", personas_router)


def _mount_mailings() -> None:
    from cyclecrm.mailings.api import mailings_router

    api.add_router("/mailings", mailings_router)


def _mount_campaigns() -> None:
    from cyclecrm.campaigns.api import campaigns_router

    api.add_router("/campaigns", campaigns_router)


def _mount_automation() -> None:
    from cyclecrm.automation.api import webhooks_router, workflows_router

    api.add_router("/workflows", workflows_router)
    api.add_router("/webhooks", webhooks_router)


def _mount_intelligence() -> None:
    from cyclecrm.intelligence.api import intelligence_router
    from cyclecrm.intelligence.cluster_api import clusters_router

    # The clusters router first: its paths must win over any "/intelligence/{...}" pattern of
    # the general intelligence router mounted after it.
    api.add_router("/intelligence/clusters", clusters_router)
    api.add_router("/intelligence", intelligence_router)


def _mount_loyalty() -> None:
    from cyclecrm.loyalty.member_api import members_router
    from cyclecrm.loyalty.program_api import programs_router
    from cyclecrm.loyalty.referral_api import referrals_router
    from cyclecrm.loyalty.reward_api import (
        public_statements_router,
        redemptions_router,
        rewards_router,
    )

    api.add_router("/loyalty/programs", programs_router)
    api.add_router("/loyalty/members", members_router)
    api.add_router("/loyalty/rewards", rewards_router)
    api.add_router("/loyalty/redemptions", redemptions_router)
    api.add_router("/public/loyalty", public_statements_router)
    api.add_router("/referrals", referrals_router)


def _mount_advocacy() -> None:
    from cyclecrm.advocacy.advocate_api import advocates_router
    from cyclecrm.advocacy.review_api import (
        public_reviews_router,
        review_policies_router,
        review_requests_router,
        reviews_router,
    )

    api.add_router("/review-policies", review_policies_router)
    api.add_router("/review-requests", review_requests_router)
    api.add_router("/reviews", reviews_router)
    api.add_router("/public/reviews", public_reviews_router)
    api.add_router("/advocates", advocates_router)


def _mount_analytics() -> None:
    from cyclecrm.analytics.api import analytics_router
    from cyclecrm.analytics.quota_api import quotas_router
    from cyclecrm.analytics.sales_cost_api import sales_costs_router

    api.add_router("/analytics", analytics_router)
    api.add_router("/quotas", quotas_router)
    api.add_router("/sales-costs", sales_costs_router)


def _mount_dataquality() -> None:
    from cyclecrm.dataquality.api import routers

    for prefix, router in routers():
        api.add_router(prefix, router)


_mount_routers()
