"""Writes for campaigns; see docs/campaigns.md."""

from cyclecrm.campaigns.services.campaigns import (
    campaign_create,
    campaign_delete,
    campaign_update,
    cost_add,
    cost_delete,
    require_edit,
)
from cyclecrm.campaigns.services.members import member_status_set, members_add, members_remove
from cyclecrm.campaigns.services.sourcing import campaign_for_code, capture_attribute
from cyclecrm.campaigns.services.touches import conversion_carry_over, record_touch
from cyclecrm.campaigns.services.utm import utm_build, utm_link_create, utm_link_delete

__all__ = [
    "campaign_create",
    "campaign_delete",
    "campaign_for_code",
    "campaign_update",
    "capture_attribute",
    "conversion_carry_over",
    "cost_add",
    "cost_delete",
    "member_status_set",
    "members_add",
    "members_remove",
    "record_touch",
    "require_edit",
    "utm_build",
    "utm_link_create",
    "utm_link_delete",
]
