"""The base form for creating and editing a business record.

A subclass names the model fields it shows; this base adds the owner and team selects, the
admin-defined custom fields (one widget per kind), tags, and the version the user read. It
applies the user's field rules (hidden fields are left out, read-only ones are disabled and so
never sent), turns the cleaned input into the service's arguments (on edit only what changed),
and puts a service's ValidationFailed fields back next to the right inputs.

The form does no business validation of its own beyond types: the service is the one judge, so
the UI, the API and imports reject the same input with the same messages.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.text import capfirst

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import CrmError
from cyclecrm.core.models import CustomField, CustomFieldKind
from cyclecrm.identity.access import access_for, restrict
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.web import selectors

CUSTOM_PREFIX = "custom."
SYSTEM_FIELDS = ("owner", "team", "external_id")


class ListField(forms.CharField):
    """A JSON list edited as comma-separated text."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(self.prepare_value(initial) or "") != self.to_python(data)


class RecordChoiceField(forms.TypedChoiceField):
    """A select of ids whose options are drawn lazily (by an htmx lookup); any id passes the
    form and the service checks the user may link to it."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


# A longer id cannot exist (and SQLite refuses to look it up).
MAX_ID_DIGITS = 18


class RecordForm(forms.Form):
    model: ClassVar[type[models.Model]]
    field_names: ClassVar[tuple[str, ...]]
    list_fields: ClassVar[frozenset[str]] = frozenset()
    # Foreign keys to other records: form field name -> url name of the option lookup view.
    record_links: ClassVar[Mapping[str, str]] = {}
    textareas: ClassVar[frozenset[str]] = frozenset()
    labels: ClassVar[Mapping[str, str]] = {}

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        actor: User,
        instance: models.Model | None = None,
        links: Mapping[str, Any] | None = None,
    ) -> None:
        """`links` preselects linked records on a new record (`?contact=<id>` on the create
        page); only records the actor may read are taken, others are silently left out."""
        self.actor = actor
        self.instance = instance
        self.link_records = self._visible_links(links) if instance is None else {}
        self.type_key = self.model.record_type
        self.custom_defs = {field.key: field for field in definitions(self.type_key)}
        super().__init__(data, initial=self._initial())
        self._add_model_fields()
        self._add_owner_and_team()
        for definition in self.custom_defs.values():
            self.fields[CUSTOM_PREFIX + definition.key] = custom_form_field(definition)
        self.fields["tags"] = ListField(
            required=False, label="Tags", help_text="Separate tags with commas."
        )
        self._apply_field_rules()
        self._style_widgets()

    # -- building ---------------------------------------------------------------------------

    def _visible_links(self, links: Mapping[str, Any] | None) -> dict[str, models.Model]:
        found = {}
        for name in self.record_links:
            raw = str((links or {}).get(name, ""))
            if not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
                continue
            related = self.model._meta.get_field(name).related_model
            record = restrict(related.objects.filter(pk=int(raw)), self.actor).first()
            if record is not None:
                found[name] = record
        return found

    def _initial(self) -> dict[str, Any]:
        if self.instance is None:
            linked = {name: record.pk for name, record in self.link_records.items()}
            return {"owner": self.actor.pk, **linked}
        instance = self.instance
        initial: dict[str, Any] = {"version": instance.version}
        for name in (*self.field_names, *SYSTEM_FIELDS):
            field = self.model._meta.get_field(name)
            initial[name] = getattr(instance, field.attname)
        for key, value in (instance.custom or {}).items():
            initial[CUSTOM_PREFIX + key] = custom_initial(value)
        initial["tags"] = [tag.name for tag in instance.tags.all()]
        return initial

    def _add_model_fields(self) -> None:
        plain = [name for name in self.field_names if name not in self.record_links]
        built = forms.fields_for_model(
            self.model, fields=[*plain, "external_id"], formfield_callback=_lenient_formfield
        )
        for name in plain:
            field = built[name]
            if name in self.list_fields:
                field = ListField(required=False, label=field.label, help_text=field.help_text)
            elif isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif name in self.textareas:
                field.widget = forms.Textarea(attrs={"rows": 3})
            elif name.endswith("email") and not isinstance(field, forms.BooleanField):
                field.widget = forms.EmailInput()
            elif name in ("phone", "mobile"):
                field.widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
            if isinstance(field, forms.ChoiceField) and field.choices:
                field.choices = [
                    (value, "—" if value == "" else label) for value, label in field.choices
                ]
            self.fields[name] = field
        for name, lookup in self.record_links.items():
            self.fields[name] = RecordChoiceField(
                required=False, coerce=int, empty_value=None, choices=self._link_choices(name)
            )
            self.fields[name].lookup = lookup
        self.fields["external_id"] = built["external_id"]
        for name, label in self.labels.items():
            if name in self.fields:
                self.fields[name].label = label

    def _link_choices(self, name: str) -> list[tuple[Any, str]]:
        """The current value only; more options come from the lookup as the user types."""
        choices: list[tuple[Any, str]] = [("", "—")]
        current = getattr(self.instance, name, None) if self.instance else None
        current = current or self.link_records.get(name)
        if current is not None:
            choices.append((current.pk, str(current)))
        return choices

    def _add_owner_and_team(self) -> None:
        owners = list(selectors.assignable_owners(actor=self.actor, type_key=self.type_key))
        current = getattr(self.instance, "owner", None) if self.instance else None
        if current is not None and current not in owners:
            owners.insert(0, current)
        choices: list[tuple[Any, str]] = [(user.pk, str(user)) for user in owners]
        rights = access_for(self.actor)
        if rights.level(self.type_key, Action.CREATE) == Level.ALL:
            choices.insert(0, ("", "— nobody —"))
        self.fields["owner"] = forms.TypedChoiceField(
            choices=choices, coerce=int, empty_value=None, required=False, label="Owner"
        )
        team_blank = "— the owner's team —" if self.instance is None else "— no team —"
        teams = [("", team_blank)] + [
            (team.pk, team.name) for team in selectors.team_choices(actor=self.actor)
        ]
        self.fields["team"] = forms.TypedChoiceField(
            choices=teams, coerce=int, empty_value=None, required=False, label="Team"
        )

    def _apply_field_rules(self) -> None:
        rights = access_for(self.actor)
        hidden = rights.hidden_fields(self.type_key)
        readonly = rights.readonly_fields(self.type_key)
        for name in list(self.fields):
            if name == "version":
                continue
            if name in hidden:
                del self.fields[name]
            elif name in readonly:
                self.fields[name].disabled = True
                self.fields[name].help_text = "You may not change this field."

    def _style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                css = ""
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = css

    # -- groups for templates ------------------------------------------------------------

    def layout(
        self, groups: tuple[tuple[str, tuple[str, ...]], ...]
    ) -> list[tuple[str, list[forms.BoundField]]]:
        """The form's inputs in the detail page's groups, then custom fields, tags, system."""
        custom = tuple(name for name in self.fields if name.startswith(CUSTOM_PREFIX))
        sections = [
            *groups,
            ("Custom fields", custom),
            ("Tags and ownership", ("tags", *SYSTEM_FIELDS)),
        ]
        result = []
        for title, names in sections:
            bound = [self[name] for name in names if name in self.fields]
            if bound:
                result.append((title, bound))
        return result

    # -- to the service ------------------------------------------------------------------

    def service_arguments(self) -> tuple[dict[str, Any], list[str] | None, dict[str, Any] | None]:
        """(data, tags, custom) for the service: on create every filled field, on edit only
        the fields the user changed, so untouched values (and rights on them) are not re-sent
        and a field missing from the submission is not cleared."""
        if self.instance is None:
            names = [name for name in self.fields if _filled(self.cleaned_data.get(name))]
        else:
            names = [
                name for name in self.changed_data if name != "version" and not self._omitted(name)
            ]
        names = [name for name in names if not self.fields[name].disabled]
        data: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        tags: list[str] | None = None
        for name in names:
            value = self.cleaned_data.get(name)
            if name == "tags":
                tags = value
            elif name.startswith(CUSTOM_PREFIX):
                custom[name[len(CUSTOM_PREFIX) :]] = _custom_out(value)
            elif name in self.record_links or name in ("owner", "team"):
                data[f"{name}_id"] = value
            elif name != "version":
                data[name] = value
        return data, tags, custom or None

    def _omitted(self, name: str) -> bool:
        """A field absent from the submitted data (as opposed to sent empty) is left alone,
        except checkboxes, which browsers omit when unchecked."""
        widget = self.fields[name].widget
        return widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))

    def add_service_error(self, exc: CrmError) -> None:
        """Show each field a service named next to its input (the rest above the form)."""
        if not exc.fields:
            self.add_error(None, exc.message)
            return
        for name, reasons in exc.fields.items():
            target = name.removesuffix("_id") if name.endswith("_id") else name
            for reason in reasons:
                if target in self.fields and not self.fields[target].disabled:
                    self.add_error(target, reason)
                else:
                    label = "" if target in ("non_field", "version") else f"{target}: "
                    self.add_error(None, f"{label}{reason}")


def _lenient_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Form fields that accept what people type: the service normalizes first ("Germany" ->
    "DE", "example.com" -> "https://example.com") and only then checks lengths, so the
    form must not reject raw input by the stored value's length or format."""
    if isinstance(db_field, models.URLField):
        return forms.CharField(
            required=not db_field.blank,
            label=capfirst(db_field.verbose_name),
            widget=forms.TextInput(attrs={"inputmode": "url"}),
        )
    field = db_field.formfield(**kwargs)
    if isinstance(field, forms.CharField) and not field.widget.attrs.get("type"):
        field.max_length = None
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.widget.attrs.pop("maxlength", None)
    return field


def _filled(value: Any) -> bool:
    return value not in (None, "", [], False)


def _custom_out(value: Any) -> Any:
    return None if value in ("", []) else value


def custom_initial(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return value
    return "" if value is None else str(value)


_BOOL_CHOICES = [("", "—"), ("true", "Yes"), ("false", "No")]


def custom_form_field(definition: CustomField) -> forms.Field:
    """A form field for one custom field definition. Values stay text: the service coerces
    and validates them (bounds, choices, dates) and names `custom.<key>` on failure."""
    common = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    kind = definition.kind
    if kind == CustomFieldKind.BOOL:
        return forms.ChoiceField(choices=_BOOL_CHOICES, **common)
    if kind == CustomFieldKind.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *[(c, c) for c in definition.choices]], **common
        )
    if kind == CustomFieldKind.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in definition.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    attrs: dict[str, Any] = {}
    if kind == CustomFieldKind.DATE:
        attrs = {"type": "date"}
    elif kind == CustomFieldKind.NUMBER:
        attrs = {"type": "number", "step": "1", "inputmode": "numeric"}
    elif kind == CustomFieldKind.DECIMAL:
        attrs = {"type": "number", "step": "any", "inputmode": "decimal"}
    elif definition.max_length:
        attrs = {"maxlength": definition.max_length}
    for bound, attr in ((definition.min_value, "min"), (definition.max_value, "max")):
        if bound is not None and kind in (CustomFieldKind.NUMBER, CustomFieldKind.DECIMAL):
            attrs[attr] = format(bound.normalize(), "f")
    return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)
