"""Stored XSS: known payloads (OWASP XSS filter evasion style) through every place users store
HTML and every place it is shown. Nothing executable survives: no script, no event handler, no
javascript:/data: URL, no style, no frame, form or SVG.

Two layers are tested apart: the services clean HTML when it is stored, and the pages clean it
again when they show it (rows written around the services: the ORM, an import, a restore).
"""

from email.message import EmailMessage

import pytest
from django.urls import reverse

from cyclecrm.activities.interactions import interaction_log, sanitize_body
from cyclecrm.activities.models import Interaction
from cyclecrm.advocacy.models import Review
from cyclecrm.core.richtext import (
    display_html,
    sanitize_email_html,
    sanitize_html,
    sanitize_message_html,
)
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations import templating
from cyclecrm.integrations.models import Mailbox
from cyclecrm.integrations.parsing import parse_message
from cyclecrm.integrations.services.inbound import message_ingest
from cyclecrm.mailings.models import Mailing
from cyclecrm.mailings.services.mailings import mailing_create
from cyclecrm.support.models import Article, Case
from cyclecrm.support.services.articles import article_create
from cyclecrm.support.services.cases import case_create
from cyclecrm.web.tests.test_csp_pages import URL_ATTRIBUTES, PageAudit, url_scheme

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="jav&#x0A;ascript:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    "<style>@import 'https://xss.example/x.css';</style>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "<!--<img src=x onerror=alert(1)>-->",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://xss.example/">',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">',
    '<a href="https://ok.example/" onmouseover="alert(1)">ok</a>',
    "<<script>alert(1);//<</script>",
    '<IMG """><SCRIPT>alert(1)</SCRIPT>">',
]
# Tags with no place in rich text; the pages around it legitimately hold the first set.
PAGE_TAGS = {"form", "input", "button", "meta", "link", "body", "noscript"}
NEVER_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "base"}


def html_mail(html: str, *, sender: str = "mallory@evil.example", message_id: str = "") -> bytes:
    """A raw multipart message whose HTML part is `html`."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "sales@crm.example", "Hi"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content("plain part")
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def inbound_body(html: str) -> str:
    """The body the CRM keeps of a received e-mail whose HTML part is `html`."""
    return parse_message(html_mail(html), max_attachment_bytes=10**6).body_html


SANITIZERS = {
    "records (core.richtext)": sanitize_html,
    "messages (core.richtext)": sanitize_message_html,
    "e-mail we send (core.richtext)": sanitize_email_html,
    "display (rich_text filter)": display_html,
    "interaction body": sanitize_body,
    "inbound e-mail (parsed)": inbound_body,
}
# Paths that change text without tags (into paragraphs), so a second pass is not the identity.
NOT_IDEMPOTENT = {sanitize_body, inbound_body}


class Findings(PageAudit):
    """The page audit, plus tags that have no business in rich text and data:/vbscript: URLs;
    `page=True` for a whole page, whose own layout has forms, buttons and meta tags."""

    def __init__(self, *, page: bool = False) -> None:
        super().__init__()
        self.refused = NEVER_TAGS - {"script"} if page else NEVER_TAGS | PAGE_TAGS
        self.page = page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        super().handle_starttag(tag, attrs)
        src = dict(attrs).get("src") or ""
        if tag == "script" and self.page and not src.startswith("/static/"):
            self.problems.append(f"<script src={src!r}>")
        if tag in self.refused:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name in URL_ATTRIBUTES and url_scheme(value or "") in {"data", "vbscript"}:
                self.problems.append(f"{name}={value!r}")

    def handle_comment(self, data: str) -> None:
        if not self.page and "<" in data:
            self.problems.append("markup in a comment")


def findings(markup: str, *, page: bool = False) -> list[str]:
    audit = Findings(page=page)
    audit.feed(markup)
    audit.close()
    return audit.problems


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("name", SANITIZERS)
def test_no_payload_survives_a_sanitizer(name, payload):
    cleaned = SANITIZERS[name](payload)

    assert findings(cleaned) == []
    # mXSS: what comes out reads the same when parsed and cleaned again (the interaction body
    # turns text without tags into paragraphs, so a second pass is not the identity there).
    assert findings(SANITIZERS[name](cleaned)) == []
    if SANITIZERS[name] not in NOT_IDEMPOTENT:
        assert SANITIZERS[name](cleaned) == cleaned


@pytest.mark.parametrize("payload", PAYLOADS)
def test_e_mail_rendering_escapes_merge_values_and_cleans_the_result(payload):
    rendered = templating.render_html(
        f"<p>Hi {{{{ contact.first_name }}}}</p>{payload}",
        {"contact": {"first_name": payload}},
        field="html_body",
    )

    assert findings(rendered) == []


def test_the_checks_find_each_payload_before_cleaning():
    """The control: every payload is something the checks would report (followed by more
    markup, as in a page, so an unterminated tag closes)."""
    missed = [payload for payload in PAYLOADS if not findings(payload + "<p>")]

    assert missed == []


@pytest.fixture
def stored(db, admin):
    """Each rich text field holding every payload, written around the services (the ORM)."""
    everything = "".join(PAYLOADS)
    contact = make_contact(owner=admin, first_name="Ada")
    case = case_create(actor=admin, data={"subject": "Printer", "contact_id": contact.pk})
    article = article_create(actor=admin, data={"title": "Reset", "status": "published"})
    note = interaction_log(
        actor=admin, data={"channel": "note", "contact": contact.pk, "subject": "Note"}
    )
    Case.objects.filter(pk=case.pk).update(description=everything)
    Article.objects.filter(pk=article.pk).update(body=everything)
    Interaction.objects.filter(pk=note.pk).update(body=everything)
    review = Review.objects.create(
        contact=contact, account=contact.account, rating=5, text=everything, title=PAYLOADS[0]
    )
    article.refresh_from_db()
    return {"contact": contact, "case": case, "article": article, "note": note, "review": review}


def test_pages_clean_stored_html_again_when_showing_it(web_client, admin, stored):
    client = web_client(admin)
    pages = {
        "case": reverse("case_detail", args=[stored["case"].pk]),
        "article": reverse("article_detail", args=[stored["article"].pk]),
        "public article": reverse("kb_public_article", args=[stored["article"].slug]),
        "interaction": reverse("interaction_detail", args=[stored["note"].pk]),
        "timeline": reverse("timeline_panel", args=["contact", stored["contact"].pk]),
        "review": reverse("review_detail", args=[stored["review"].pk]),
    }
    found = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        found[name] = findings(html, page=True)

    assert found == {name: [] for name in pages}


def test_services_store_clean_html(admin, db):
    everything = "".join(PAYLOADS)
    contact = make_contact(owner=admin)

    case = case_create(actor=admin, data={"subject": "S", "description": everything})
    article = article_create(actor=admin, data={"title": "T", "body": everything})
    note = interaction_log(
        actor=admin, data={"channel": "note", "contact": contact.pk, "body": everything}
    )
    mailing = mailing_create(
        actor=admin, data={"name": "M", "subject": "S", "html_body": everything}
    )

    for stored in (case.description, article.body, note.body, mailing.html_body):
        assert findings(stored) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_mixed_case_and_encoded_payloads_survive_no_sanitizer(payload):
    """The same payloads upper-cased and entity-encoded once more (what a filter that matches
    on text would miss); each sanitizer must still leave nothing executable."""
    variants = [payload.upper(), payload.swapcase(), payload.replace("<", "<\n")]
    for name, clean in SANITIZERS.items():
        for variant in variants:
            assert findings(clean(variant)) == [], (name, variant)


def test_inbound_mail_shows_on_the_timeline_without_payloads(web_client, admin, db):
    # given a contact, and a message from them carrying every payload in its HTML part
    contact = make_contact(owner=admin, email="mallory@evil.example")
    mailbox = Mailbox.objects.create(
        name="Sales", host="127.0.0.1", username="sales@crm.example", uidvalidity=7
    )
    raw = html_mail("<p>Hello</p>" + "".join(PAYLOADS), message_id="<xss@evil.example>")

    # when the mailbox poll ingests it
    assert message_ingest(mailbox=mailbox, uidvalidity=7, uid=1, raw=raw)

    # then the logged interaction and the contact's timeline hold nothing executable
    note = Interaction.objects.get(message_id="<xss@evil.example>")
    assert "Hello" in note.body and findings(note.body) == []
    url = reverse("timeline_panel", args=["contact", contact.pk])
    response = web_client(admin).get(url)
    assert response.status_code == 200
    assert findings(response.content.decode(), page=True) == []


def test_campaign_preview_cleans_a_stored_body_and_is_sandboxed(web_client, admin, db):
    # given a mailing whose HTML body holds every payload, written around the service
    contact = make_contact(owner=admin, first_name="<img src=x onerror=alert(1)>")
    mailing = mailing_create(actor=admin, data={"name": "M", "subject": "S", "html_body": "x"})
    body = "<p>Hi {{ contact.first_name }}</p>" + "".join(PAYLOADS)
    Mailing.objects.filter(pk=mailing.pk).update(html_body=body)

    # when its preview is shown for the contact
    url = reverse("mailing_preview", args=[mailing.pk]) + f"?contact={contact.pk}"
    response = web_client(admin).get(url)

    # then the page has no payload left, and its own policy forbids scripts anyway
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hi &lt;img" in html
    assert findings(html, page=True) == []
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
