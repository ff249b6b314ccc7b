"""Interchange rules: importing vCards through the contact services, starting full exports."""

from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.contacts import services as contact_services
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import CrmError, Forbidden, UploadTooLarge, ValidationFailed
from cyclecrm.dataquality.interchange.fullexport import (
    export_path,
    exportable_types,
    write_full_export,
)
from cyclecrm.dataquality.interchange.vcard import ParsedCard, parse_cards
from cyclecrm.dataquality.models import CalendarFeed, ExportStatus, FullExport
from cyclecrm.dataquality.models.interchange import new_feed_key
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User

MAX_VCF_BYTES = 10 * 1024 * 1024
NOT_A_VCARD = "This is not a vCard (.vcf) file: it must start with BEGIN:VCARD."


def vcf_read(*, size: int, stream: IO[bytes]) -> str:
    """The text of an uploaded .vcf, checked by size (413) and by content, not by name (422 on
    `file`): a vCard is text beginning with BEGIN:VCARD, without NUL bytes."""
    if size > MAX_VCF_BYTES:
        limit = MAX_VCF_BYTES // (1024 * 1024)
        raise UploadTooLarge(
            f"The file is larger than {limit} MB.", fields={"file": [f"At most {limit} MB."]}
        )
    raw = stream.read(MAX_VCF_BYTES + 1)
    text = decode_vcf(raw)
    if b"\x00" in raw or not text.lstrip("\ufeff \t\r\n").upper().startswith("BEGIN:VCARD"):
        raise ValidationFailed(NOT_A_VCARD, fields={"file": [NOT_A_VCARD]})
    return text


@dataclass
class CardProblem:
    card: int
    reason: str
    field: str = ""


@dataclass
class VCardImportResult:
    """What a .vcf import did; with problems and `all_or_nothing`, nothing was stored."""

    cards: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    skipped: list[CardProblem] = field(default_factory=list)
    problems: list[CardProblem] = field(default_factory=list)
    stored: bool = True


class _Rollback(Exception):
    pass


def decode_vcf(raw: bytes) -> str:
    """vCard 4.0 is UTF-8; older files are often Latin-1 or carry a BOM."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def vcard_import(*, actor: User, text: str, all_or_nothing: bool = True) -> VCardImportResult:
    """Creates (or, by UID = external_id, updates) one contact per card through the contact
    services, so rights, normalization, history and events apply. Cards that are not people
    (KIND:group, ...) are skipped; a card that fails validation is a problem with its number.
    With `all_or_nothing` one problem stores nothing; otherwise the valid cards are stored."""
    if access.level(actor, Contact.record_type, Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create contacts.")
    cards = parse_cards(text)
    result = VCardImportResult(cards=len(cards))
    try:
        with transaction.atomic():
            for card in cards:
                _import_card(actor, card, result)
            if result.problems and all_or_nothing:
                raise _Rollback
    except _Rollback:
        result.stored = False
        result.created, result.updated = [], []
    return result


def _import_card(actor: User, card: ParsedCard, result: VCardImportResult) -> None:
    if card.problems:
        target = result.skipped if "not a person" in card.problems[0] else result.problems
        target.extend(CardProblem(card.number, reason) for reason in card.problems)
        return
    try:
        with transaction.atomic():
            _store_card(actor, card, result)
    except CrmError as exc:
        if not exc.fields:
            result.problems.append(CardProblem(card.number, exc.message))
        for name, reasons in exc.fields.items():
            result.problems.extend(CardProblem(card.number, reason, name) for reason in reasons)


def _store_card(actor: User, card: ParsedCard, result: VCardImportResult) -> None:
    data = {name: value for name, value in card.data.items() if value not in ("", None, [])}
    if card.account:
        data["account_id"] = _account_for(actor, card.account).pk
    existing = _by_external_id(data.get("external_id"))
    if existing is None:
        contact = contact_services.contact_create(actor=actor, data=data, referral_source="vcard")
        result.created.append(contact.pk)
        return
    contact = contact_services.contact_update(
        actor=actor, contact=existing, data=data, version=existing.version
    )
    result.updated.append(contact.pk)


def _by_external_id(external_id: str | None) -> Contact | None:
    if not external_id:
        return None
    return Contact.objects.filter(external_id=external_id).first()


def _account_for(actor: User, name: str) -> Account:
    """The visible account of that name, or a new one (ORG names a company)."""
    found = access.restrict(Account.objects.filter(name__iexact=name), actor).first()
    if found is not None:
        return found
    return contact_services.account_create(actor=actor, data={"name": name})


def require_admin(actor: User) -> None:
    """A full export holds every record: only who may edit roles (an admin) may take one."""
    if access.level(actor, "role", Action.EDIT) != Level.ALL:
        raise Forbidden("Only administrators may export all data.")


def full_export_start(*, actor: User) -> FullExport:
    """Queues a full export (or returns the one still queued or running)."""
    require_admin(actor)
    with transaction.atomic():
        pending = FullExport.objects.filter(
            created_by=actor, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)
        ).first()
        if pending is not None:
            return pending
        export = FullExport.objects.create(created_by=actor, types_total=len(exportable_types()))
    from cyclecrm.dataquality.interchange.tasks import run_full_export

    transaction.on_commit(lambda: run_full_export(export.pk))
    return export


def full_export_execute(export_id: int) -> FullExport:
    """The job body (tests and the CLI call it directly): writes the zip, records progress."""
    export = FullExport.objects.select_related("created_by").get(pk=export_id)
    if export.status == ExportStatus.DONE:
        return export
    FullExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), types_done=0
    )

    def progress(_key: str, done: int, total: int) -> None:
        FullExport.objects.filter(pk=export.pk).update(types_done=done, types_total=total)

    target = export_path(export.pk)
    try:
        manifest = write_full_export(export.created_by, target, progress)
    except Exception as exc:
        FullExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:5000], finished_at=timezone.now()
        )
        raise
    FullExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE,
        finished_at=timezone.now(),
        file_path=str(target.relative_to(settings.DATA_DIR)),
        file_size=target.stat().st_size,
        counts={key: item["rows"] for key, item in manifest["types"].items()},
    )
    export.refresh_from_db()
    return export


def calendar_feed_key(*, actor: User, rotate: bool = False) -> str:
    """The user's feed key; `rotate` replaces it, so every earlier feed URL stops working."""
    feed, created = CalendarFeed.objects.get_or_create(user=actor)
    if rotate and not created:
        feed.key = new_feed_key()
        feed.save(update_fields=["key"])
    return feed.key
