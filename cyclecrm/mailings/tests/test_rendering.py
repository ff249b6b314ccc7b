"""Templates for campaigns: conditional blocks, escaping of merge values, refused tags."""

import pytest
from django.template import TemplateSyntaxError

from cyclecrm.integrations.templating import check_template, render_html

CONTEXT = {"contact": {"first_name": "<script>alert(1)</script>Eve", "city": ""}}


def test_conditional_blocks_pick_a_branch():
    source = "{% if contact.city %}In {{ contact.city }}{% else %}Online{% endif %}"

    assert render_html(source, CONTEXT, field="html_body") == "Online"
    with_city = {"contact": {"city": "Rome"}}
    assert render_html(source, with_city, field="html_body") == "In Rome"


def test_merge_values_are_escaped_and_the_result_sanitized():
    html = render_html(
        '<p>Hi {{ contact.first_name }}</p><a href="javascript:x()">x</a>', CONTEXT, field="b"
    )

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html


@pytest.mark.parametrize("tag", ["{% debug %}", "{% include 'x.html' %}", "{% load static %}"])
def test_tags_reaching_outside_the_sandbox_are_refused(tag):
    with pytest.raises(TemplateSyntaxError, match="not allowed"):
        check_template(f"<p>{tag}</p>")
