"""Catalog errors with stable codes (the API sends `error.code`; tests import these)."""

from cyclecrm.core.errors import Conflict, ValidationFailed


class QuoteNotDraft(Conflict):
    code = "quote_not_draft"
    default_message = "Only a draft quote can be changed."


class QuoteNotSent(Conflict):
    code = "quote_not_sent"
    default_message = "Only a sent quote can be accepted or rejected."


class OrderNotPending(Conflict):
    code = "order_not_pending"
    default_message = "The lines and currency of an order change only while it is pending."


class OrderStatusConflict(Conflict):
    code = "order_status"
    default_message = "The order cannot move to this status from its current one."


class OrderNotDeletable(Conflict):
    code = "order_not_deletable"
    default_message = "Only pending or cancelled orders can be deleted; refund a paid one instead."


class NoPrice(ValidationFailed):
    code = "no_price"
    default_message = "No price for this product in this currency."
