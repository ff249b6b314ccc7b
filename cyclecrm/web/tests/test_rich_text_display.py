"""Rich text fields render as (sanitized) markup; every other text field stays escaped."""

from cyclecrm.support.models import Case
from cyclecrm.web.records.display import display_value


def test_rich_text_field_renders_markup_without_scripts():
    case = Case(
        subject="<b>x</b>",
        description='<p>Hello <a href="https://x.test">you</a><script>alert(1)</script></p>',
    )

    shown = display_value(case, "description")

    assert shown.startswith('<p>Hello <a href="https://x.test"')
    assert "<script" not in shown and "alert(1)" not in shown


def test_plain_text_field_is_escaped():
    case = Case(subject="<b>x</b>")

    assert display_value(case, "subject") == "&lt;b&gt;x&lt;/b&gt;"
