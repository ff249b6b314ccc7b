"""Navigation shown in the base layout: only sections that exist and the user may read."""

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from cyclecrm.identity.access import level

# (label, url name, icon, record type the user must be able to read; None: any signed-in user)
SECTIONS = [
    ("Home", "home", "house", None),
    ("Dashboards", "analytics_home", "speedometer", None),
    ("Accounts", "account_list", "building", "account"),
    ("Contacts", "contact_list", "person-lines-fill", "contact"),
    ("Leads", "lead_list", "funnel", "lead"),
    ("Opportunities", "opportunity_list", "kanban", "opportunity"),
    ("Tasks", "task_list", "check2-square", "task"),
    ("Cases", "case_list", "life-preserver", "case"),
]
# Pages used less often, under a "More" menu in groups, so the bar fits on one line.
MORE = [
    (
        "Sales",
        [
            ("Products", "product_list", "box-seam", "product"),
            ("Quotes", "quote_list", "file-earmark-text", "quote"),
            ("Orders", "order_list", "receipt", "order"),
        ],
    ),
    (
        "Service",
        [
            ("Knowledge base", "article_list", "journal-text", "article"),
            ("Surveys", "survey_list", "emoji-smile", "survey"),
        ],
    ),
    (
        "Marketing",
        [
            ("Segments", "segment_list", "funnel", "segment"),
            ("Personas", "persona_list", "person-badge", "persona"),
            ("Sequences", "sequence_list", "diagram-2", "sequence"),
            ("E-mail campaigns", "mailing_list", "envelope-paper-heart", "mailing"),
            ("Campaigns", "campaign_list", "megaphone", "campaign"),
        ],
    ),
    (
        "Loyalty and advocacy",
        [
            ("Loyalty programs", "loyalty_program_list", "gem", "loyalty_program"),
            ("Redemptions", "redemption_list", "gift", "loyalty_program"),
            ("Referrals", "referral_list", "share", "contact"),
            ("Reviews", "review_list", "star-half", "review"),
            ("Advocates", "advocate_list", "megaphone-fill", "contact"),
        ],
    ),
    (
        "Automation",
        [
            ("Workflow rules", "workflow_list", "lightning-charge", "workflow"),
            ("Webhooks", "webhook_list", "broadcast", "webhook"),
        ],
    ),
    (
        "Intelligence",
        [
            ("Models", "intelligence_overview", "cpu", "model_run"),
            ("Hot leads", "intelligence_hot_leads", "fire", "lead"),
            ("Customers at risk", "intelligence_at_risk", "exclamation-triangle", "contact"),
            ("Best customers", "intelligence_best_customers", "trophy", "contact"),
            ("Clusters", "cluster_page", "diagram-3-fill", "model_run"),
        ],
    ),
    (
        "Data quality",
        [
            ("Duplicate review", "duplicate_queue", "intersect", "duplicate"),
        ],
    ),
]
SETTINGS = [
    ("Users", "user_list", "people", "user"),
    ("Teams", "team_list", "diagram-3", "team"),
    ("Roles", "role_list", "shield-lock", "role"),
    ("Custom fields", "custom_field_list", "ui-checks", "custom_field"),
    ("API tokens", "token_list", "key", "token"),
    ("Security log", "security_log", "shield-check", "security_event"),
    ("Capture forms", "capture_form_list", "ui-radios", "capture_form"),
    ("Lead scoring", "scoring_rule_list", "speedometer2", "scoring_rule"),
    ("Lead assignment", "assignment_rule_list", "signpost-split", "assignment_rule"),
    ("Pipelines", "pipeline_settings", "bar-chart-steps", "pipeline"),
    ("Exchange rates", "exchange_rate_list", "currency-exchange", "pipeline"),
    ("Sales quotas", "quota_list", "bullseye", "quota"),
    ("Sales costs", "sales_cost_list", "cash-coin", "sales_cost"),
    ("Onboarding templates", "onboarding_template_list", "list-check", "onboarding_template"),
    ("Price books", "price_book_list", "tags", "price_book"),
    ("Mailboxes", "mailbox_list", "inbox", "mailbox"),
    ("E-mail templates", "email_template_list", "envelope-paper", "email_template"),
    ("Review requests", "review_policy_list", "chat-square-heart", "review_policy"),
    ("Service levels", "support_settings", "stopwatch", "sla_policy"),
    ("Retention policies", "retention_settings", "hourglass-split", "retention_policy"),
    ("Background jobs", "job_list", "gear-wide-connected", "job"),
    ("Import", "import_list", "upload", "import"),
    ("Full export", "full_export_list", "archive", "role"),
    ("Calendar feed", "calendar_feed_settings", "calendar-week", None),
]


def _entries(request: HttpRequest, sections: list) -> list[dict[str, Any]]:
    entries = []
    for label, url_name, icon, type_key in sections:
        if type_key and level(request.user, type_key, "read") == "none":
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # a section whose pages do not exist yet is not shown
        entries.append(
            {
                "label": label,
                "url": url,
                "icon": icon,
                "active": request.path.startswith(url) and url != "/",
            }
        )
    return entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    sections = _entries(request, SECTIONS)
    more = [
        {"label": label, "entries": entries}
        for label, group in MORE
        if (entries := _entries(request, group))
    ]
    return {
        "nav_sections": sections,
        "nav_more": more,
        "nav_more_active": any(entry["active"] for group in more for entry in group["entries"]),
        "nav_pages": sections + [entry for group in more for entry in group["entries"]],
        "nav_settings": _entries(request, SETTINGS),
    }
