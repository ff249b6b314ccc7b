"""Forms of the settings pages. They check shape only (types, required, matching passwords);
the services own the rules, and their `ValidationFailed.fields` come back through
`add_service_errors` as inline errors."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from cyclecrm.core.errors import CrmError
from cyclecrm.core.models import CustomFieldKind
from cyclecrm.identity.models import Action, FieldAccess, Level, TokenScope

BLANK = [("", "—")]


class BootstrapForm(forms.Form):
    """Gives every widget its Bootstrap class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def add_error(self, field: str | None, error: Any) -> None:
        """Also mark the inputs of fields with errors `is-invalid`, as Bootstrap expects."""
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()


def add_service_errors(
    form: forms.Form, exc: CrmError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's field errors next to the matching inputs, the rest above the form."""
    aliases = aliases or {}
    if not exc.fields:
        form.add_error(None, exc.message)
    for name, reasons in exc.fields.items():
        target = aliases.get(name, name)
        if target in form.fields:
            for reason in reasons:
                form.add_error(target, reason)
        else:
            form.add_error(None, f"{name}: {' '.join(reasons)}")


class UserForm(BootstrapForm):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    roles = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    teams = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    ALIASES = {"team_ids": "teams", "role_names": "roles"}

    def __init__(self, *args: Any, roles: Iterable, teams: Iterable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(role.name, role.label or role.name) for role in roles]
        self.fields["teams"].choices = [(team.pk, team.name) for team in teams]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            "username": data["username"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "role_names": list(data["roles"]),
            "team_ids": list(data["teams"]),
        }
        if "is_active" in self.fields:
            result["is_active"] = data["is_active"]
        return result


class UserCreateForm(UserForm):
    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to let the user set one through “Forgot your password?”.",
    )
    password2 = forms.CharField(
        label="Password (again)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    ALIASES = {**UserForm.ALIASES, "password": "password1"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class PasswordSetForm(BootstrapForm):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="New password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    ALIASES = {"password": "password1"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class TeamForm(BootstrapForm):
    name = forms.CharField(max_length=100)
    parent = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    manager = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    roles = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every member gets these roles on top of their own.",
    )

    ALIASES = {"parent_id": "parent", "manager_id": "manager", "role_names": "roles"}

    def __init__(
        self, *args: Any, teams: Iterable, users: Iterable, roles: Iterable, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = BLANK + [(team.pk, team.name) for team in teams]
        self.fields["manager"].choices = BLANK + [
            (user.pk, f"{user.display_name} ({user.username})") for user in users
        ]
        self.fields["roles"].choices = [(role.name, role.label or role.name) for role in roles]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "parent_id": data["parent"],
            "manager_id": data["manager"],
            "role_names": list(data["roles"]),
        }


class CustomFieldForm(BootstrapForm):
    record_type = forms.ChoiceField()
    key = forms.SlugField(
        max_length=50, help_text="Lower-case letters, digits and _; used in the API and CSV."
    )
    label = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=CustomFieldKind.choices)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Choice fields only: one choice per line.",
    )
    required = forms.BooleanField(required=False)
    min_value = forms.DecimalField(required=False, help_text="Number fields only.")
    max_value = forms.DecimalField(required=False, help_text="Number fields only.")
    max_length = forms.IntegerField(required=False, min_value=1, help_text="Text fields only.")
    help_text = forms.CharField(max_length=200, required=False)
    position = forms.IntegerField(min_value=0, initial=0, help_text="Order on forms.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    FIXED = ("record_type", "key", "kind")

    def __init__(self, *args: Any, record_types: list[str], editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = [(key, key) for key in record_types]
        if editing:
            for name in self.FIXED:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed once created."
        else:
            del self.fields["is_active"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["choices"] = [line.strip() for line in data["choices"].splitlines() if line.strip()]
        if self.fields["key"].disabled:
            for name in self.FIXED:
                data.pop(name)
        return data


class TokenForm(BootstrapForm):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “ERP sync”.")
    scope = forms.ChoiceField(
        choices=TokenScope.choices, initial=TokenScope.READ, widget=forms.RadioSelect
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional; the token stops working at the start of that day (UTC).",
    )

    ALIASES = {"expires_at": "expires_on"}


class ExplainForm(BootstrapForm):
    user = forms.TypedChoiceField(coerce=int, label="User")
    type = forms.ChoiceField(label="Record type")
    id = forms.IntegerField(label="Record id", min_value=1)

    def __init__(self, *args: Any, users: Iterable, record_types: Mapping, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = BLANK + [
            (user.pk, f"{user.display_name} ({user.username})") for user in users
        ]
        self.fields["type"].choices = [(key, item.label) for key, item in record_types.items()]


LEVEL_CHOICES = list(Level.choices)
FIELD_RULE_CHOICES = [(FieldAccess.HIDDEN, "Hidden"), (FieldAccess.READ, "Read only")]


def matrix_from_post(post: QueryDict, type_keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """`perm.<type>.<action>` selects -> `{type: {action: level}}` (a missing cell is none)."""
    return {
        key: {action: post.get(f"perm.{key}.{action}", Level.NONE) for action in Action.values}
        for key in type_keys
    }


def field_rules_from_post(post: QueryDict, type_keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """Existing rules arrive as `rule.<type>.<field>` (empty = remove the rule); one new rule
    per type as `new_field.<type>` + `new_rule.<type>`."""
    rules: dict[str, dict[str, str]] = {}
    for key in type_keys:
        prefix = f"rule.{key}."
        for name, value in post.items():
            if name.startswith(prefix) and value:
                rules.setdefault(key, {})[name[len(prefix) :]] = value
        new_field = post.get(f"new_field.{key}", "").strip()
        if new_field:
            rules.setdefault(key, {})[new_field] = post.get(f"new_rule.{key}", FieldAccess.HIDDEN)
    return rules
