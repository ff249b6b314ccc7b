"""Template helpers for record pages."""

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field_input(
    bound: forms.BoundField, size: str = "", invalid: bool | None = None, **extra: str
) -> SafeString:
    """A form input with Bootstrap's invalid state when the field has errors (or when
    `invalid` says so, for a lone input whose errors come from elsewhere)."""
    attrs = {**bound.field.widget.attrs, **extra}
    css = attrs.get("class", "")
    if size and css in ("form-control", "form-select"):
        css = f"{css} {css}-{size}"
    if bound.errors if invalid is None else invalid:
        css = f"{css} is-invalid"
        attrs["aria-describedby"] = f"{bound.auto_id}_errors"
    if css:
        attrs["class"] = css.strip()
    return bound.as_widget(attrs=attrs)


@register.filter
def is_checkbox(bound: forms.BoundField) -> bool:
    return isinstance(bound.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(bound: forms.BoundField) -> bool:
    return isinstance(bound.field.widget, forms.CheckboxSelectMultiple)


@register.filter
def is_wide(bound: forms.BoundField) -> bool:
    return isinstance(bound.field.widget, forms.Textarea)
