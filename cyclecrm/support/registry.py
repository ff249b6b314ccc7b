from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.support.models import (
        Article,
        ArticleCategory,
        BusinessCalendar,
        Case,
        SlaPolicy,
    )

    register("case", "Cases", Case)
    register("article", "Knowledge base articles", Article)
    register("article_category", "Knowledge base categories", ArticleCategory)
    register("sla_policy", "SLA policies", SlaPolicy)
    register("business_calendar", "Queue business hours", BusinessCalendar)
