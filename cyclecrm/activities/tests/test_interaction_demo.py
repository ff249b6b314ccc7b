"""The demo step for interactions: every channel, linked to demo contacts, engagement computed."""

import io

import pytest
from django.core.management import call_command

from cyclecrm.activities.models import Channel, Interaction
from cyclecrm.contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_demo_builds_interactions_with_engagement():
    call_command(
        "demo", "--contacts", "80", "--accounts", "6", stdout=io.StringIO(), stderr=io.StringIO()
    )

    # 64 from the interactions step; later steps (sequences, mailings) log their e-mails too.
    assert Interaction.objects.count() >= 64
    assert set(Interaction.objects.values_list("channel", flat=True)) <= set(Channel.values)
    assert not Interaction.objects.filter(contact__isnull=True).exists()
    engaged = Contact.objects.filter(interactions_90d__gt=0)
    assert engaged.exists()
    contact = engaged.first()
    assert contact.last_interaction_at is not None
    assert sum(contact.engagement["90d"].values()) == contact.interactions_90d
