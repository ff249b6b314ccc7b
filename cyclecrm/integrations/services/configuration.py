"""Writes for the e-mail configuration: mailboxes and templates. Both are directory objects
without an owner, so changing them takes the `all` level (admins); every change is in the
history (a mailbox's password never is)."""

from typing import Any

from django.db import IntegrityError, models, transaction
from django.template import TemplateSyntaxError
from django.utils import timezone

from cyclecrm.contacts.normalize import clean_text
from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden, ValidationFailed
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.integrations.credentials import check_env_name, encrypt_password
from cyclecrm.integrations.models import EmailTemplate, Mailbox, MailboxPurpose, MailboxSecurity
from cyclecrm.integrations.templating import check_template

MAILBOX_FIELDS = {
    "name", "host", "port", "security", "username", "password", "password_env", "folder",
    "purpose", "create_leads_from_unknown", "is_active", "owner_id",
}  # fmt: skip
TEMPLATE_FIELDS = {"name", "subject", "body", "is_marketing", "is_active"}
DEFAULT_PORTS = {MailboxSecurity.SSL: 993, MailboxSecurity.STARTTLS: 143, MailboxSecurity.NONE: 143}
REQUIRED = "This field is required."
NEEDS_PASSWORD = "Enter a password or the name of an environment variable holding it."


def _require_all(actor: User, type_key: str, action: str) -> None:
    if access.level(actor, type_key, action) != Level.ALL:
        raise Forbidden(f"You may not {action} these settings.")


def _text(data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in data:
            data[name] = clean_text(data[name] or "")


def _required(data: dict[str, Any], names: tuple[str, ...], creating: bool, errors: FieldErrors):
    for name in names:
        if (creating or name in data) and data.get(name) in (None, ""):
            errors.add(name, REQUIRED)


def _normalize_mailbox(data: dict[str, Any], mailbox: Mailbox | None) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    for name in sorted(set(data) - MAILBOX_FIELDS):
        errors.add(name, "Unknown field.")
    _text(data, ("name", "host", "username", "folder"))
    _required(data, ("name", "host", "username"), mailbox is None, errors)
    if "folder" in data and not data["folder"]:
        data["folder"] = "INBOX"
    for name, allowed in (("security", MailboxSecurity), ("purpose", MailboxPurpose)):
        if name in data and data[name] not in allowed.values:
            errors.add(name, f"Use one of {', '.join(allowed.values)}.")
    if data.get("port") is None:
        data.pop("port", None)
        if mailbox is None:
            data["port"] = DEFAULT_PORTS.get(data.get("security", MailboxSecurity.SSL), 993)
    elif not 1 <= int(data["port"]) <= 65535:
        errors.add("port", "Between 1 and 65535.")
    if "password_env" in data:
        try:
            data["password_env"] = check_env_name(data["password_env"] or "")
        except ValidationFailed as exc:
            errors.add("password_env", exc.fields["password_env"][0])
    owner_id = data.get("owner_id")
    if owner_id is not None and not User.objects.filter(pk=owner_id, is_active=True).exists():
        errors.add("owner_id", "No active user with this id.")
    password = data.pop("password", None)
    if password:
        data["password_encrypted"] = encrypt_password(password)
    has_env = data.get("password_env", mailbox.password_env if mailbox else "")
    has_stored = data.get("password_encrypted", mailbox.password_encrypted if mailbox else "")
    if not has_env and not has_stored:
        errors.add("password", NEEDS_PASSWORD)
    errors.raise_if_any()
    if mailbox is not None and ({"host", "port", "username", "folder"} & set(data)):
        # Another server or folder: its UIDs mean nothing to the old cursor.
        data.update(uidvalidity=None, last_uid=0, failure_count=0, next_poll_at=None)
    return data


def _normalize_template(data: dict[str, Any], template: EmailTemplate | None) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    for name in sorted(set(data) - TEMPLATE_FIELDS):
        errors.add(name, "Unknown field.")
    _text(data, ("name", "subject"))
    if "body" in data:
        data["body"] = str(data["body"] or "").strip()
    _required(data, ("name", "subject", "body"), template is None, errors)
    for name in ("subject", "body"):
        if data.get(name):
            try:
                check_template(data[name])
            except TemplateSyntaxError as exc:
                errors.add(name, f"Template error: {exc}")
    errors.raise_if_any()
    return data


def _save(actor: User, instance: models.Model, creating: bool, before: dict[str, Any]) -> None:
    field = "name"
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Duplicate(fields={field: ["Another one has this name."]}) from exc
    changes = diff(before, snapshot(instance))
    if changes:
        action = HistoryAction.CREATE if creating else HistoryAction.UPDATE
        history_record(actor=actor, instance=instance, action=action, changes=changes)


def _write(
    actor: User,
    instance: Mailbox | EmailTemplate,
    data: dict[str, Any],
    creating: bool,
    version: int | None = None,
) -> None:
    before = {} if creating else snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.updated_at = timezone.now()
    with transaction.atomic():
        if not creating:
            claim_version(instance, version)
        _save(actor, instance, creating, before)


def mailbox_create(*, actor: User, data: dict[str, Any]) -> Mailbox:
    _require_all(actor, Mailbox.record_type, Action.CREATE)
    mailbox = Mailbox()
    _write(actor, mailbox, _normalize_mailbox(data, None), True)
    return mailbox


def mailbox_update(
    *, actor: User, mailbox: Mailbox, data: dict[str, Any], version: int | None
) -> Mailbox:
    """A new password replaces the stored one; an empty or missing one keeps it."""
    _require_all(actor, Mailbox.record_type, Action.EDIT)
    _write(actor, mailbox, _normalize_mailbox(data, mailbox), False, version)
    return mailbox


def mailbox_delete(*, actor: User, mailbox: Mailbox) -> None:
    _require_all(actor, Mailbox.record_type, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=mailbox,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(mailbox), {}),
        )
        mailbox.delete()


def email_template_create(*, actor: User, data: dict[str, Any]) -> EmailTemplate:
    _require_all(actor, EmailTemplate.record_type, Action.CREATE)
    template = EmailTemplate()
    _write(actor, template, _normalize_template(data, None), True)
    return template


def email_template_update(
    *, actor: User, template: EmailTemplate, data: dict[str, Any], version: int | None
) -> EmailTemplate:
    _require_all(actor, EmailTemplate.record_type, Action.EDIT)
    _write(actor, template, _normalize_template(data, template), False, version)
    return template


def email_template_delete(*, actor: User, template: EmailTemplate) -> None:
    _require_all(actor, EmailTemplate.record_type, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=template,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(template), {}),
        )
        template.delete()


def require_mailbox_admin(*, actor: User) -> None:
    """Polling on demand takes the right to edit mailboxes."""
    _require_all(actor, Mailbox.record_type, Action.EDIT)
