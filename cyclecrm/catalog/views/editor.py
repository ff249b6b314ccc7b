"""The line editor of the quote and order builders: rows as typed, each line's net and the
totals computed on the server by the pricing rule (never in the browser), refreshed by htmx on
every change, when a product is picked (its price and tax fill in), and when a row is added or
removed."""

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from cyclecrm.catalog import selectors
from cyclecrm.catalog.errors import NoPrice
from cyclecrm.catalog.forms import LINE_FIELDS, is_blank, posted_lines
from cyclecrm.catalog.models import Product
from cyclecrm.catalog.pricing import amount_text, money_label, number_text, price_line, price_lines
from cyclecrm.catalog.services import PricingContext, price_for
from cyclecrm.catalog.services.common import currency_code
from cyclecrm.catalog.services.lines import MAX_LINES, as_id, draft_lines
from cyclecrm.contacts.models import Account
from cyclecrm.identity import access

EDITOR_TEMPLATE = "catalog/_line_editor.html"


@dataclass
class EditorRow:
    index: int
    values: dict[str, str]
    product: Product | None = None
    net: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class LineEditor:
    url: str
    currency: str
    rows: list[EditorRow]
    subtotal: str = ""
    tax_total: str = ""
    total: str = ""
    message: str = ""
    locked: bool = False

    @property
    def has_totals(self) -> bool:
        return bool(self.total)

    @property
    def can_add(self) -> bool:
        return not self.locked and len(self.rows) < MAX_LINES


def blank_row() -> dict[str, str]:
    return {name: "" for name in LINE_FIELDS} | {"quantity": "1"}


def rows_of(lines: Any, currency: str) -> list[dict[str, str]]:
    """Editor rows of stored lines (a quote's or an order's)."""
    return [
        {
            "product": str(line.product_id or ""),
            "description": line.description,
            "quantity": number_text(line.quantity) or "",
            "unit_price": amount_text(line.unit_price, currency) or "",
            "discount_percent": number_text(line.discount_percent) or "",
            "tax_percent": number_text(line.tax_percent) or "",
        }
        for line in lines
    ]


def build_editor(
    *,
    actor: Any,
    rows: list[dict[str, str]],
    context: PricingContext | None,
    url: str,
    action: str = "",
    locked: bool = False,
    errors: dict[str, list[str]] | None = None,
) -> LineEditor:
    """The editor after `action` ("add", "remove:<n>", "fill:<n>"), with each filled row priced
    and checked like the service will check it on save. `errors` are the service's, if a save
    failed (keys `lines.<n>.<field>` over the filled rows)."""
    rows = _apply(actor, [dict(row) for row in rows], context, action)
    products = _products(actor, rows)
    editor = LineEditor(
        url=url,
        currency=context.currency if context else "",
        locked=locked,
        rows=[
            EditorRow(index=i, values=row, product=products.get(as_id(row.get("product")) or 0))
            for i, row in enumerate(rows)
        ],
    )
    if context is None:
        editor.message = "Choose a valid currency to see the amounts."
        return editor
    filled = [row for row in editor.rows if not is_blank(row.values)]
    drafts, found = draft_lines(
        actor=actor, raw_lines=[row.values for row in filled], context=context
    )
    for key, reasons in {**found, **(errors or {})}.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(filled):
            target = filled[int(parts[1])]
            target.errors.setdefault(parts[2] if len(parts) > 2 else "line", []).extend(reasons)
    for row, draft in zip(filled, drafts, strict=True):
        if draft is not None and not row.errors:
            row.net = money_label(price_line(draft.numbers, context.currency).net, context.currency)
    if filled and not found and all(draft is not None for draft in drafts):
        totals = price_lines([d.numbers for d in drafts if d is not None], context.currency)
        editor.subtotal = money_label(totals.subtotal, context.currency)
        editor.tax_total = money_label(totals.tax_total, context.currency)
        editor.total = money_label(totals.total, context.currency)
    elif found:
        editor.message = "Correct the marked lines to see the totals."
    return editor


def _apply(
    actor: Any, rows: list[dict[str, str]], context: PricingContext | None, action: str
) -> list[dict[str, str]]:
    verb, _, raw_index = action.partition(":")
    index = int(raw_index) if raw_index.isdigit() else -1
    if verb == "add" and len(rows) < MAX_LINES:
        rows.append(blank_row())
    elif verb == "remove" and 0 <= index < len(rows):
        rows.pop(index)
    elif verb == "fill" and 0 <= index < len(rows):
        _fill(actor, rows[index], context)
    if not rows:
        rows.append(blank_row())
    return rows


def _fill(actor: Any, row: dict[str, str], context: PricingContext | None) -> None:
    """The picked product's name, tax rate and price for this customer go into the row."""
    pk = as_id(row.get("product"))
    product = selectors.product_list(actor=actor).filter(pk=pk).first() if pk else None
    if product is None:
        return
    row["description"] = product.name
    row["tax_percent"] = number_text(product.tax_percent) or "0"
    row["quantity"] = row.get("quantity") or "1"
    row["unit_price"] = ""
    if context is not None:
        try:
            price = price_for(
                product,
                currency=context.currency,
                country=context.country,
                segment=context.segment,
            )
        except NoPrice:
            return  # the row shows the reason when it is checked
        row["unit_price"] = amount_text(price, context.currency) or ""


def _products(actor: Any, rows: list[dict[str, str]]) -> dict[int, Product]:
    ids = {as_id(row.get("product")) for row in rows} - {None}
    if not ids:
        return {}
    return {p.pk: p for p in selectors.product_list(actor=actor).filter(pk__in=ids)}


def posted_currency(data: QueryDict) -> str | None:
    try:
        return currency_code(data.get("currency", ""))
    except ValueError:
        return None


def account_context(actor: Any, data: QueryDict) -> PricingContext | None:
    """Pricing for an order: the posted currency and the posted account's country."""
    currency = posted_currency(data)
    if currency is None:
        return None
    pk = as_id(data.get("account"))
    account = access.restrict(Account.objects.filter(pk=pk), actor).first() if pk else None
    return PricingContext(
        currency=currency,
        country=account.billing_country if account else None,
        segment=data.get("segment", "").strip() or None,
        allow_inactive=True,
    )


def opportunity_context(actor: Any, data: QueryDict) -> PricingContext | None:
    """Pricing for a quote: the posted currency and the opportunity's account's country."""
    currency = posted_currency(data)
    if currency is None:
        return None
    opportunity = selectors.quote_opportunity(actor=actor, pk=data.get("opportunity"))
    account = opportunity.account if opportunity is not None else None
    return PricingContext(
        currency=currency,
        country=account.billing_country if account else None,
        segment=data.get("segment", "").strip() or None,
    )


def render_editor(request: HttpRequest, editor: LineEditor) -> HttpResponse:
    return render(request, EDITOR_TEMPLATE, {"editor": editor})


def editor_from_post(request: HttpRequest, context: PricingContext | None, url: str) -> LineEditor:
    return build_editor(
        actor=request.user,
        rows=posted_lines(request.POST),
        context=context,
        url=url,
        action=request.POST.get("action", ""),
    )
