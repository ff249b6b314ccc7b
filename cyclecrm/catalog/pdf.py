"""The quote as a PDF, built with reportlab: seller header, customer block, lines, totals,
validity and notes.

Built in memory (a quote has at most 500 lines) with `invariant=1`, so the same quote gives the
same bytes (no creation timestamp or random document id). Text is set in the standard
Helvetica fonts, so it is extractable and searchable; characters outside Latin-1 print
as placeholders — embedding a Unicode TTF is the upgrade path.
The seller block comes from `DEFAULT_SELLER` (no settings are read); give `seller=` to override.
"""

import io
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cyclecrm.catalog.models import Quote
from cyclecrm.catalog.pricing import money_label, number_text
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.identity import access
from cyclecrm.identity.models import Action


@dataclass(frozen=True)
class Seller:
    name: str
    address: tuple[str, ...] = ()
    contact: tuple[str, ...] = field(default_factory=tuple)


DEFAULT_SELLER = Seller(name="Cycle CRM", address=("Quotes and orders",))

_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle(
    "body",
    parent=_STYLES["BodyText"],
    fontName="Helvetica",
    fontSize=9,
    leading=12,
    spaceBefore=0,
    spaceAfter=1,
)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=colors.grey)
TITLE = ParagraphStyle("title", parent=BODY, fontName="Helvetica-Bold", fontSize=18, leading=22)
HEAD = ParagraphStyle("head", parent=BODY, fontName="Helvetica-Bold", fontSize=10, leading=13)
COLUMN = ParagraphStyle("column", parent=BODY, fontName="Helvetica-Bold")
COLUMN_RIGHT = ParagraphStyle("column_right", parent=COLUMN, alignment=TA_RIGHT)
RIGHT = ParagraphStyle("right", parent=BODY, alignment=TA_RIGHT)
RIGHT_TITLE = ParagraphStyle("right_title", parent=TITLE, alignment=TA_RIGHT)
LINE_HEADERS = ("#", "Description", "Qty", "Unit price", "Discount", "Tax", "Net")
GRID = colors.HexColor("#dee2e6")
SHADE = colors.HexColor("#f1f3f5")


def pdf_filename(quote: Quote) -> str:
    return f"quote-{quote.number}.pdf"


def quote_pdf(
    quote: Quote, *, actor: Any, seller: Seller = DEFAULT_SELLER, compress: bool = True
) -> bytes:
    """The PDF bytes of `quote` (fetched through `quote_get`, so with its lines) as `actor` may
    see it: the customer block only shows an account and a contact the actor may read, and
    notes hidden from the actor are left out."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Quote {quote.number}",
        author=seller.name,
        subject=f"Quote {quote.number}",
        creator="Cycle CRM",
        invariant=1,
        pageCompression=1 if compress else 0,
    )
    hidden = access.access_for(actor).hidden_fields(Quote.record_type)
    story: list[Any] = [
        _header(quote, seller),
        Spacer(1, 8 * mm),
        _parties(quote, actor),
        Spacer(1, 8 * mm),
        _lines(quote),
        Spacer(1, 4 * mm),
        _totals(quote),
        Spacer(1, 8 * mm),
    ]
    story += _closing(quote, hidden)
    doc.build(story, onFirstPage=_footer(quote), onLaterPages=_footer(quote))
    return buffer.getvalue()


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _header(quote: Quote, seller: Seller) -> Table:
    left = [
        _p(seller.name, HEAD),
        *[_p(line, SMALL) for line in (*seller.address, *seller.contact)],
    ]
    right = [
        _p("QUOTE", RIGHT_TITLE),
        _p(quote.number, ParagraphStyle("num", parent=RIGHT, fontName="Helvetica-Bold")),
        _p(f"Date: {quote.created_at:%Y-%m-%d}", RIGHT),
        _p(f"Valid until: {quote.valid_until.isoformat() if quote.valid_until else '—'}", RIGHT),
        _p(f"Status: {quote.get_status_display()}", RIGHT),
    ]
    table = Table([[left, right]], colWidths=["55%", "45%"])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _customer_lines(quote: Quote, actor: Any) -> list[str]:
    opportunity = quote.opportunity
    account: Account | None = opportunity.account
    contact: Contact | None = opportunity.contact
    lines: list[str] = []
    if account is not None and access.can(actor, Action.READ, account):
        hidden = access.access_for(actor).hidden_fields(Account.record_type)
        lines.append(account.name)
        parts = [
            account.billing_street,
            " ".join(p for p in (account.billing_postal_code, account.billing_city) if p),
            account.billing_region,
            account.billing_country,
        ]
        names = ("billing_street", "billing_city", "billing_region", "billing_country")
        lines += [
            part for part, name in zip(parts, names, strict=True) if part and name not in hidden
        ]
    if contact is not None and access.can(actor, Action.READ, contact):
        hidden = access.access_for(actor).hidden_fields(Contact.record_type)
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        lines.append(f"Attn. {name}")
        if contact.email and "email" not in hidden:
            lines.append(contact.email)
    return lines or ["—"]


def _parties(quote: Quote, actor: Any) -> Table:
    customer = [_p("Customer", SMALL), *[_p(line) for line in _customer_lines(quote, actor)]]
    reference = [
        _p("Reference", SMALL),
        _p(quote.opportunity.name),
        _p(f"Currency: {quote.currency}"),
    ]
    table = Table([[customer, reference]], colWidths=["55%", "45%"])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _lines(quote: Quote) -> Table:
    rows: list[list[Any]] = [
        [_p(h, COLUMN if i < 2 else COLUMN_RIGHT) for i, h in enumerate(LINE_HEADERS)]
    ]
    for index, line in enumerate(quote.lines.all(), start=1):
        description = line.description
        if line.product is not None:
            description = f"{description}\n{line.product.sku}"
        rows.append(
            [
                str(index),
                _p(description),
                number_text(line.quantity),
                money_label(line.unit_price, quote.currency),
                f"{number_text(line.discount_percent)} %",
                f"{number_text(line.tax_percent)} %",
                money_label(line.net, quote.currency),
            ]
        )
    if len(rows) == 1:
        rows.append(["", _p("No lines."), "", "", "", "", ""])
    widths = [8 * mm, None, 16 * mm, 28 * mm, 18 * mm, 16 * mm, 30 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _totals(quote: Quote) -> Table:
    rows = [
        ["Subtotal", money_label(quote.subtotal, quote.currency)],
        ["Tax", money_label(quote.tax_total, quote.currency)],
        ["Total", money_label(quote.total, quote.currency)],
    ]
    table = Table(rows, colWidths=[40 * mm, 36 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 11),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.black),
            ]
        )
    )
    return table


def _closing(quote: Quote, hidden: frozenset[str]) -> list[Any]:
    parts: list[Any] = []
    if quote.valid_until:
        parts.append(_p(f"This quote is valid until {quote.valid_until.isoformat()}."))
    parts.append(
        _p(
            "Amounts in "
            f"{quote.currency}. Each line's net and tax are rounded half-up to the currency's "
            "smallest unit; the totals are their sums.",
            SMALL,
        )
    )
    if quote.notes and "notes" not in hidden:
        parts += [Spacer(1, 4 * mm), _p("Notes", HEAD), _p(quote.notes)]
    return parts


def _footer(quote: Quote) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 10 * mm, f"Quote {quote.number}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw
