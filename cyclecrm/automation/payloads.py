"""Records in webhook payloads, shaped by the API's output schema of their type."""

from typing import Any

from cyclecrm.api.schemas import OutputSchema, visible_record
from cyclecrm.core.registry import record_types
from cyclecrm.identity.models import User
from cyclecrm.identity.system import system_actor


def _schemas() -> dict[str, type[OutputSchema]]:
    from cyclecrm.contacts.schemas import AccountOut, ContactOut
    from cyclecrm.leads.schemas import LeadOut
    from cyclecrm.pipeline.schemas import OpportunityOut
    from cyclecrm.support.schemas import CaseOut

    return {
        "contact": ContactOut,
        "account": AccountOut,
        "lead": LeadOut,
        "opportunity": OpportunityOut,
        "case": CaseOut,
    }


def record_payload(owner: User | None, record_type: str, object_id: int) -> dict[str, Any] | None:
    """The record as the API shows it to `owner` (fields hidden from them are null); only
    `{"id": ...}` for types without an output schema here; None once the record is gone."""
    known = record_types().get(record_type)
    if known is None:
        return None
    record = known.model._default_manager.filter(pk=object_id).first()
    if record is None:
        return None
    schema = _schemas().get(record_type)
    if schema is None:
        return {"id": record.pk}
    data = visible_record(owner or system_actor(), record, schema)
    return schema(**data).model_dump(mode="json")
