"""Case and article create / edit forms (the shared behaviour is in web.records.forms)."""

from typing import Any

from cyclecrm.support.models import Article, Case
from cyclecrm.web.records.forms import RecordForm

CASE_LABELS = {
    "team": "Queue",
    "owner": "Assignee",
    "first_response_due": "First response due",
    "first_responded_at": "First response",
    "first_response_breached_at": "First response breached",
    "resolution_breached_at": "Resolution breached",
    "sla_policy": "SLA policy",
}


class CaseForm(RecordForm):
    model = Case
    field_names = ("subject", "description", "priority", "channel", "contact", "account")
    record_links = {"contact": "contact_lookup", "account": "account_lookup"}
    textareas = frozenset({"description"})
    labels = CASE_LABELS


class ArticleForm(RecordForm):
    model = Article
    field_names = ("title", "slug", "category", "status", "body")
    textareas = frozenset({"body"})
    labels = {"body": "Body (HTML allowed: paragraphs, lists, links, code)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            # Left empty, the service derives it from the title.
            self.fields["slug"].required = False
