"""The five built-in roles. Admins may edit them; `builtin_roles_sync` (run after every
migrate) creates missing ones and fills in record types a role does not mention yet, leaving
every entry an admin has set alone."""

from django.db import transaction

from cyclecrm.identity.models import Role

ALL = {"read": "all", "create": "all", "edit": "all", "delete": "all", "export": "all"}
READ_ALL = {"read": "all", "create": "none", "edit": "none", "delete": "none", "export": "none"}
READ_EXPORT_ALL = {**READ_ALL, "export": "all"}
TEAM = {"read": "team", "create": "team", "edit": "team", "delete": "team", "export": "team"}
OWN = {"read": "own", "create": "own", "edit": "own", "delete": "own", "export": "own"}
NONE = {"read": "none", "create": "none", "edit": "none", "delete": "none", "export": "none"}
OWN_TOKENS = {"read": "own", "create": "own", "edit": "own", "delete": "own", "export": "none"}
TAG_USE = {"read": "all", "create": "all", "edit": "none", "delete": "none", "export": "none"}

# Directory data (users, teams, tags, custom field definitions) is readable by everyone so
# owners can be picked and forms drawn; only admins change it.
_DIRECTORY = {
    "user": READ_ALL,
    "team": READ_ALL,
    "tag": TAG_USE,
    "custom_field": READ_ALL,
    "token": OWN_TOKENS,
    "role": NONE,
    # The security log (logins, lock-outs, rights changes) is for administrators.
    "security_event": NONE,
    "mailbox": NONE,
    "job": NONE,
}

# Shared configuration and catalog: everyone reads it to work; admins change it.
_CONFIGURATION = {
    key: READ_ALL
    for key in (
        "pipeline",
        "product",
        "price_book",
        "onboarding_template",
        "scoring_rule",
        "assignment_rule",
        "capture_form",
        "email_template",
        "sla_policy",
        "business_calendar",
        "article_category",
        "survey",
        "model_run",
        "loyalty_program",
        "review_policy",
    )
}
# The knowledge base is for everyone to read; support agents write it.
_KB_READ = {"article": READ_ALL}
_KB_AUTHOR = {"read": "all", "create": "all", "edit": "all", "delete": "own", "export": "all"}
# Surveys are configuration that managers and marketers also run (see docs/surveys.md).
_SURVEY_AUTHOR = {"survey": {**ALL, "delete": "own"}}
# The background-job page: managers watch it and retry failed jobs (retry is the `edit` right).
_JOBS_OPERATOR = {"job": {**READ_ALL, "edit": "all"}}
# Predictive models: everyone reads the model pages; managers retrain (the `edit` right).
_MODEL_TRAINER = {"model_run": {**READ_ALL, "edit": "all"}}
# Campaigns are marketing objects: marketers and managers run them, sales reads them for context
# (see docs/campaigns.md).
_CAMPAIGN_READ = {"campaign": READ_ALL}
_CAMPAIGN_RUN = {"campaign": ALL}
# Automation: webhooks send record data out of the CRM, so only admins manage them; workflow
# rules act for their owner, so sales reps and agents (own records only) get none.
_NO_AUTOMATION = {"workflow": NONE, "webhook": NONE}
# Loyalty, referral and review programs are run by managers; everyone reads them (a rep shows a
# customer their points). Marketers read programs and export their figures but do not change
# programs or adjust points (the program's edit right). Reviews are read by all, moderated by
# marketing and managers (see docs/loyalty.md and docs/advocacy.md).
_ADVOCACY_RUN = {"loyalty_program": ALL, "review_policy": ALL, "review": ALL}
_LOYALTY_WATCH = {"loyalty_program": READ_EXPORT_ALL}
_REVIEW_READ = {"review": READ_ALL}
# Sales targets and costs feed the KPIs: managers set them for their teams; a rep sees their own
# quota; sales costs (for the acquisition cost) are for managers (see docs/kpis.md).
_QUOTA_OWN = {"quota": {**NONE, "read": "own"}}
_NO_SALES_TARGETS = {"quota": NONE, "sales_cost": NONE}
# Data quality: anyone may import what they may create (the import right only covers the import
# rows; each written record still needs the create/edit right on its type). The duplicate
# review queue is worked by managers and marketers; retention policies are admin settings.
_DUPLICATE_REVIEW = {"duplicate": ALL}
_NO_DATA_GOVERNANCE = {"retention_policy": NONE}
_MARKETING_LEADS = {"read": "all", "create": "all", "edit": "own", "delete": "own", "export": "all"}

BUILTIN_ROLES: dict[str, dict] = {
    "admin": {
        "label": "Administrator",
        "description": "Every right on every record type, including users, roles and settings.",
        "default": ALL,
        "permissions": {},
    },
    "manager": {
        "label": "Sales manager",
        "description": "Everything of their team and the teams below it.",
        "default": TEAM,
        "permissions": {
            **_DIRECTORY,
            **_CONFIGURATION,
            **_KB_READ,
            **_SURVEY_AUTHOR,
            **_JOBS_OPERATOR,
            **_MODEL_TRAINER,
            **_CAMPAIGN_RUN,
            **_ADVOCACY_RUN,
            "sales_cost": ALL,
            **_DUPLICATE_REVIEW,
            **_NO_DATA_GOVERNANCE,
            # Team rules (the default TEAM level); webhooks are admin-only.
            "webhook": NONE,
        },
    },
    "sales_rep": {
        "label": "Sales representative",
        "description": "Their own records and records shared with them.",
        "default": OWN,
        "permissions": {
            **_DIRECTORY,
            **_CONFIGURATION,
            **_KB_READ,
            **_CAMPAIGN_READ,
            **_REVIEW_READ,
            **_NO_AUTOMATION,
            **_QUOTA_OWN,
            "sales_cost": NONE,
            "duplicate": NONE,
            **_NO_DATA_GOVERNANCE,
        },
    },
    "marketer": {
        "label": "Marketer",
        "description": "Reads and exports contacts and accounts; owns marketing objects.",
        "default": OWN,
        "permissions": {
            **_DIRECTORY,
            **_CONFIGURATION,
            **_KB_READ,
            **_SURVEY_AUTHOR,
            "capture_form": ALL,
            "segment": ALL,
            "persona": ALL,
            "sequence": ALL,
            "mailing": ALL,
            **_CAMPAIGN_RUN,
            **_ADVOCACY_RUN,
            **_LOYALTY_WATCH,
            "account": READ_EXPORT_ALL,
            "contact": READ_EXPORT_ALL,
            "lead": _MARKETING_LEADS,
            **_NO_SALES_TARGETS,
            **_DUPLICATE_REVIEW,
            **_NO_DATA_GOVERNANCE,
            # Their own marketing workflows (default OWN); webhooks are admin-only.
            "webhook": NONE,
        },
    },
    "support_agent": {
        "label": "Support agent",
        "description": "Reads contacts and accounts; owns support cases.",
        "default": OWN,
        "permissions": {
            **_DIRECTORY,
            **_CONFIGURATION,
            "account": READ_ALL,
            "contact": READ_ALL,
            "order": READ_ALL,
            "campaign": NONE,
            # Cases of their queues (teams); the knowledge base they write.
            "case": TEAM,
            # Interactions on the cases of their queues, logged by any agent of the team.
            "interaction": TEAM,
            "article": _KB_AUTHOR,
            **_REVIEW_READ,
            **_NO_AUTOMATION,
            **_NO_SALES_TARGETS,
            "duplicate": NONE,
            **_NO_DATA_GOVERNANCE,
        },
    },
}


def builtin_roles_sync(record_type_keys: list[str]) -> None:
    with transaction.atomic():
        for name, spec in BUILTIN_ROLES.items():
            role, _ = Role.objects.get_or_create(
                name=name,
                defaults={
                    "label": spec["label"],
                    "description": spec["description"],
                    "is_builtin": True,
                },
            )
            permissions = dict(role.permissions or {})
            for key in record_type_keys:
                if key not in permissions:
                    permissions[key] = dict(spec["permissions"].get(key, spec["default"]))
            if permissions != role.permissions:
                role.permissions = permissions
                role.save(update_fields=["permissions"])
