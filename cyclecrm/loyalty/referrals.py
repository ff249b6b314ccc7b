"""Referral program writes: personal codes, attributing a new lead or contact to its referrer,
and refusing self-referrals.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so it can be read
aloud or typed from paper. A lead or contact that arrives with a code gets a `Referral` row in the
same transaction as the record itself. The API refuses an unknown code (422 on `referral_code`);
a public capture form accepts the lead without a referral and only logs the code, so the form
does not tell a spammer which codes exist. Conversion and rewards are in
`loyalty.referral_rewards`."""

import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty.models import (
    LoyaltyProgram,
    Referral,
    ReferralCode,
    ReferralSource,
    ReferralStatus,
)

logger = logging.getLogger(__name__)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_MAX_LENGTH = 20
UNKNOWN_CODE = "No referral code like this exists."
# Addresses at these domains belong to people, not companies: two friends on gmail.com are not
# colleagues, so the same-domain rule never refuses them.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "hotmail.com",
        "hotmail.co.uk", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
        "mac.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "gmx.com", "web.de",
        "t-online.de", "mail.com", "yandex.com", "yandex.ru", "mail.ru", "zoho.com", "orange.fr",
        "free.fr", "laposte.net", "libero.it", "qq.com", "163.com", "fastmail.com", "hey.com",
    }
)  # fmt: skip
SAME_PERSON = "The referred person is the referrer."
SAME_EMAIL = "The referred person has the referrer's e-mail address."
SAME_DOMAIN = "The referred person works at the referrer's company domain ({domain})."


def normalize_code(value: Any) -> str:
    """Codes are compared upper-case, without spaces or dashes (`abcd-2345` is `ABCD2345`)."""
    return "".join(str(value or "").split()).replace("-", "").upper()


def new_code() -> str:
    """A random code; uniqueness is checked by the unique index on insert."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def require_code_create(actor: Any, contact: Contact) -> None:
    """Creating a contact's code needs edit rights on the contact (404 when it is invisible)."""
    if access.can(actor, Action.EDIT, contact):
        return
    if access.can(actor, Action.READ, contact):
        raise Forbidden("Creating a referral code needs edit rights on the contact.")
    raise NotFound("No contact with this id.")


def referral_code_ensure(*, actor: Any, contact: Contact) -> tuple[ReferralCode, bool]:
    """The contact's personal code and whether this call created it. A drawn code that is taken
    (31^8 codes make that rare) is drawn again; a concurrent call for the same contact wins."""
    require_code_create(actor, contact)
    existing = ReferralCode.objects.filter(contact=contact).first()
    if existing is not None:
        return existing, False
    for _ in range(10):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(contact=contact, code=new_code()), True
        except IntegrityError:
            existing = ReferralCode.objects.filter(contact=contact).first()
            if existing is not None:
                return existing, False
    raise RuntimeError("Could not draw an unused referral code in 10 tries.")


def referral_code_create(*, actor: Any, contact: Contact) -> ReferralCode:
    """The contact's personal code, created on first call (later calls return the same one)."""
    return referral_code_ensure(actor=actor, contact=contact)[0]


def referral_code_resolve(value: Any, *, strict: bool) -> ReferralCode | None:
    """The code record `value` names; None for an empty value. An unknown code raises a 422 on
    `referral_code` when `strict` (API), else is logged and read as no code (public forms)."""
    code = normalize_code(value)
    if not code:
        return None
    found = None
    if len(code) <= CODE_MAX_LENGTH:
        found = ReferralCode.objects.select_related("contact").filter(code=code).first()
    if found is not None:
        return found
    if strict:
        raise ValidationFailed(fields={"referral_code": [UNKNOWN_CODE]})
    logger.info("Unknown referral code %r on a public form; the lead has no referral.", code[:40])
    return None


def referral_link(code: ReferralCode | str) -> str:
    """The address a referrer shares: the referral capture form (setting `REFERRAL_FORM`, else the
    first active form) with `?ref=<code>`, or the home page when there is no form."""
    from cyclecrm.leads.models import CaptureForm

    text = code.code if isinstance(code, ReferralCode) else code
    base = settings.CYCLECRM["BASE_URL"]
    key = settings.CYCLECRM.get("REFERRAL_FORM", "")
    forms = CaptureForm.objects.filter(is_active=True)
    form = forms.filter(public_key=key).first() if key else forms.order_by("id").first()
    path = reverse("capture_form_public", args=[form.public_key]) if form else "/"
    return f"{base}{path}?ref={text}"


def referral_program() -> LoyaltyProgram | None:
    """The program that rewards new referrals: the first active one (lowest id)."""
    return LoyaltyProgram.objects.filter(is_active=True).order_by("id").first()


def _domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower() if "@" in (email or "") else ""


def refusal_for(
    *,
    referrer: Contact,
    program: LoyaltyProgram | None,
    email: str = "",
    contact: Contact | None = None,
) -> str:
    """Why this is a self-referral, or "" when it is not."""
    if contact is not None and contact.pk == referrer.pk:
        return SAME_PERSON
    email = (email or "").strip().lower()
    own = {e.strip().lower() for e in [referrer.email, *(referrer.other_emails or [])] if e}
    if email and email in own:
        return SAME_EMAIL
    domain = _domain(email)
    company = domain and domain not in FREE_MAIL_DOMAINS
    refuse_domain = program is not None and program.referral_refuse_same_domain
    if refuse_domain and company and domain in {_domain(e) for e in own}:
        return SAME_DOMAIN.format(domain=domain)
    return ""


def referral_attach(
    *,
    actor: Any,
    code: ReferralCode,
    source: str,
    lead: Any = None,
    contact: Contact | None = None,
) -> Referral:
    """Record that `lead` or `contact` (just created with `code`) was referred by the code's
    contact: pending, or refused with the reason when it is a self-referral. Called inside the
    creating service's transaction; the actor's rights were checked by that service."""
    if source not in ReferralSource.values:
        raise ValidationFailed(fields={"source": [f"Unknown referral source '{source}'."]})
    program = referral_program()
    referred = contact if contact is not None else lead
    email = getattr(referred, "email", "")
    reason = refusal_for(referrer=code.contact, program=program, email=email, contact=contact)
    return Referral.objects.create(
        program=program,
        code=code,
        referrer=code.contact,
        lead=lead,
        contact=contact,
        source=source,
        status=ReferralStatus.REFUSED if reason else ReferralStatus.PENDING,
        refusal_reason=reason,
    )


ALREADY_REFERRED = "This {noun} is already attributed to a referrer."
NOTHING_REFERRED = "Name the referred contact or lead."


def referral_record(
    *, actor: Any, referrer: Contact, contact: Contact | None = None, lead: Any = None
) -> Referral:
    """Staff record by hand that `referrer` brought in an existing `contact` or `lead` (source
    `manual`). Needs edit rights on the referred record; the referrer gets a code if needed
    (the actor needs edit rights on it then). 409 when the record already has a referral."""
    referred = contact if contact is not None else lead
    if referred is None:
        raise ValidationFailed(fields={"contact_id": [NOTHING_REFERRED]})
    if not access.can(actor, Action.EDIT, referred):
        raise Forbidden("Recording a referral needs edit rights on the referred record.")
    noun = "contact" if contact is not None else "lead"
    taken = Conflict(
        ALREADY_REFERRED.format(noun=noun), fields={f"{noun}_id": ["Already referred."]}
    )
    if Referral.objects.filter(**{noun: referred}).exists():
        raise taken
    code = referral_code_create(actor=actor, contact=referrer)
    try:
        with transaction.atomic():
            return referral_attach(
                actor=actor, code=code, source=ReferralSource.MANUAL, lead=lead, contact=contact
            )
    except IntegrityError as exc:
        raise taken from exc
