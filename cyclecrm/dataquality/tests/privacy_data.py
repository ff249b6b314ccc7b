"""A contact with personal data spread over the records that refer to it, for the privacy tests."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cyclecrm.activities.tests.factories import make_interaction, make_task
from cyclecrm.advocacy.models import Review
from cyclecrm.catalog.tests.factories import make_order
from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.services import contact_create, contact_update
from cyclecrm.core.testing.factories import make_account
from cyclecrm.feedback.models import SurveyResponse
from cyclecrm.feedback.tests.conftest import make_survey
from cyclecrm.leads.tests.factories import make_lead
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EntryKind
from cyclecrm.loyalty.tests.reward_factories import make_program
from cyclecrm.support.models import Case

FIRST, LAST = "Wilhelmina", "Zabłocka-Quist"
EMAIL = "wilhelmina.quist@example.org"
PHONE = "+493012345678"
STREET = "Karl-Marx-Allee 55"
BIRTH = dt.date(1981, 4, 17)
NOTE = "Prefers calls after lunch; daughter Anouk"
PERSONAL = [FIRST, LAST, EMAIL, PHONE, STREET, BIRTH.isoformat(), NOTE]


@dataclass
class PersonData:
    contact: Contact
    records: dict[str, Any]


def person_with_data(actor: Any) -> PersonData:
    """Created through the services where history matters (contact), the rest inserted."""
    account = make_account(owner=actor, name="Quist Bakery GmbH")
    contact = contact_create(
        actor=actor,
        data={
            "first_name": FIRST,
            "last_name": LAST,
            "email": EMAIL,
            "phone": PHONE,
            "street": STREET,
            "city": "Berlin",
            "postal_code": "10243",
            "country": "DE",
            "birth_date": BIRTH,
            "notes": NOTE,
            "account_id": account.pk,
            "consent_email": True,
        },
        tags=["vip"],
    )
    contact = contact_update(
        actor=actor, contact=contact, data={"title": "Head baker"}, version=contact.version
    )
    body = f"{FIRST} asked us to call {PHONE}. Reply to {EMAIL}."
    records = {
        "interaction": make_interaction(
            actor, contact=contact, subject=f"Call with {FIRST} {LAST}", body=body
        ),
        "task": make_task(actor, contact=contact, description=f"Send {FIRST} the offer"),
        "order": make_order(actor, contact=contact, account=account),
        "case": Case.objects.create(
            number="C-PRIV-1",
            subject=f"{FIRST} cannot log in",
            description=f"Written by {EMAIL}",
            contact=contact,
        ),
        "review": Review.objects.create(
            contact=contact, account=account, rating=4, text=f"Great bread, {FIRST}"
        ),
        "survey_response": SurveyResponse.objects.create(
            survey=make_survey(actor),
            contact=contact,
            score=9,
            comment=f"I am {FIRST} and I like it",
            category="promoter",
        ),
        "lead": make_lead(actor, first_name=FIRST, last_name=LAST, email=EMAIL, company="Quist"),
    }
    program = make_program(owner=actor)
    member = member_enroll(program=program, contact=contact)
    entry_post(member=member, kind=EntryKind.EARN, points=120, reason="Welcome")
    records["member"] = member
    records["order_total"] = Decimal(records["order"].total)
    return PersonData(contact=contact, records=records)
