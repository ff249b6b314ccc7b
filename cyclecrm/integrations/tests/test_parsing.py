"""Reading raw messages: addresses, threading headers, sanitized bodies, attachments."""

from email.message import EmailMessage

from hypothesis import given
from hypothesis import strategies as st

from cyclecrm.integrations.parsing import message_ids, parse_message

LIMIT = 1_000_000


def test_headers_and_html_body_are_read_and_sanitized():
    message = EmailMessage()
    message["From"] = '"Lovelace, Ada" <Ada@Example.COM>'
    message["To"] = "a@example.com, not an address, b@example.com"
    message["Subject"] = "=?utf-8?q?Gr=C3=BC=C3=9Fe?="
    message["Message-ID"] = "<own@ex>"
    message["In-Reply-To"] = "<parent@ex>"
    message["References"] = "<root@ex> <parent@ex>"
    message.set_content("plain version")
    message.add_alternative(
        '<p onclick="x()">Hi<script>alert(1)</script><img src="http://t.example/p.gif"></p>',
        subtype="html",
    )

    parsed = parse_message(message.as_bytes(), max_attachment_bytes=LIMIT)

    assert (parsed.from_name, parsed.from_address) == ("Lovelace, Ada", "ada@example.com")
    assert parsed.to == ["a@example.com", "b@example.com"]
    assert parsed.subject == "Grüße"
    assert (parsed.message_id, parsed.in_reply_to) == ("<own@ex>", "<parent@ex>")
    assert parsed.references == ["<root@ex>", "<parent@ex>"]
    assert "Hi" in parsed.body_html
    for unsafe in ("onclick", "<script", "alert", "<img"):
        assert unsafe not in parsed.body_html


def test_plain_text_is_escaped_into_paragraphs():
    message = EmailMessage()
    message["From"] = "a@example.com"
    message.set_content("line <one>\nline two\n\nsecond & last")

    parsed = parse_message(message.as_bytes(), max_attachment_bytes=LIMIT)

    assert parsed.body_html == ("<p>line &lt;one&gt;<br>line two</p><p>second &amp; last</p>")


@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw):
    parsed = parse_message(raw, max_attachment_bytes=LIMIT)
    assert isinstance(parsed.subject, str)


def test_message_ids_are_extracted_in_order():
    assert message_ids(" <a@x>\r\n\t<b@y> junk <c@z>") == ["<a@x>", "<b@y>", "<c@z>"]
    assert message_ids(None) == []
