"""Workflow action types. Apps add their own with `register_action` (see docs/automation.md)."""

from cyclecrm.automation.actions.registry import (
    ActionContext,
    ActionType,
    action_type,
    action_types,
    register_action,
)

__all__ = ["ActionContext", "ActionType", "action_type", "action_types", "register_action"]
