"""Settings-type records are versioned through one claim (ADR 0037)."""

import pytest
from django.db import transaction
from django.urls import reverse

from cyclecrm.core import tag_admin
from cyclecrm.core.errors import ValidationFailed, VersionConflict
from cyclecrm.core.models import Tag
from cyclecrm.core.records import claim_set_version, claim_version
from cyclecrm.identity.models import Team
from cyclecrm.web.versions import STALE_MESSAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def tag() -> Tag:
    return Tag.objects.create(name="vip", color="#000000")


def test_a_change_with_the_version_read_moves_it_on(admin, tag):
    changed = tag_admin.tag_update(actor=admin, tag=tag, data={"color": "#ff0000"}, version=1)

    stored = Tag.objects.get(pk=tag.pk)
    assert changed.version == stored.version == 2
    assert stored.color == "#ff0000"


def test_a_stale_version_is_refused_and_nothing_is_written(admin, tag):
    mine = Tag.objects.get(pk=tag.pk)
    theirs = Tag.objects.get(pk=tag.pk)
    tag_admin.tag_update(actor=admin, tag=theirs, data={"color": "#00ff00"}, version=1)

    # `mine` still says version 1: the claim finds no row of that version
    mine.version = 1
    with pytest.raises(VersionConflict) as raised:
        tag_admin.tag_update(actor=admin, tag=mine, data={"name": "gold"}, version=1)

    stored = Tag.objects.get(pk=tag.pk)
    assert raised.value.fields == {"version": ["Current version is 2."]}
    assert (stored.name, stored.color, stored.version) == ("vip", "#00ff00", 2)


def test_a_missing_version_is_a_validation_error(admin, tag):
    with pytest.raises(ValidationFailed) as raised:
        tag_admin.tag_update(actor=admin, tag=tag, data={"color": "#ff0000"}, version=None)

    assert "version" in raised.value.fields
    assert Tag.objects.get(pk=tag.pk).color == "#000000"


def test_a_full_save_of_an_old_instance_keeps_the_claimed_version(admin, tag):
    old = Tag.objects.get(pk=tag.pk)  # read before the change, e.g. by a job
    tag_admin.tag_update(actor=admin, tag=tag, data={"color": "#ff0000"}, version=1)

    old.name = "renamed by a job"
    old.save()

    stored = Tag.objects.get(pk=tag.pk)
    assert (stored.name, stored.version) == ("renamed by a job", 2)
    with pytest.raises(VersionConflict):  # version 1 stays stale
        tag_admin.tag_update(actor=admin, tag=old, data={"color": "#0000ff"}, version=1)


@pytest.mark.django_db(transaction=True)
def test_the_claim_must_run_inside_the_write_transaction(tag):
    with pytest.raises(RuntimeError):
        claim_version(tag, 1)


def test_a_set_style_write_needs_the_version_only_of_an_existing_row(tag):
    with transaction.atomic():
        with pytest.raises(ValidationFailed):
            claim_set_version(tag, None, existing=True)
        with pytest.raises(VersionConflict) as raised:
            claim_set_version(Tag(name="new"), 3, existing=False)
        claim_set_version(Tag(name="new"), None, existing=False)

    assert raised.value.fields == {"version": ["The record no longer exists."]}


def test_the_web_form_shows_a_stale_version_and_stores_nothing(admin, teams, web_client):
    team = teams["north"]
    client = web_client(admin)
    page = client.get(reverse("team_edit", args=[team.pk])).content.decode()
    assert f'name="version" value="{team.version}"' in page
    Team.objects.filter(pk=team.pk).update(version=team.version + 1)  # someone else saved

    response = client.post(
        reverse("team_edit", args=[team.pk]),
        {"name": "North (mine)", "version": team.version},
    )

    assert response.status_code == 200
    assert STALE_MESSAGE.format(noun="team") in response.content.decode()
    assert Team.objects.get(pk=team.pk).name == team.name


def test_the_web_form_saves_with_the_version_it_read(admin, teams, web_client):
    team = teams["north"]

    response = web_client(admin).post(
        reverse("team_edit", args=[team.pk]),
        {"name": "North (mine)", "version": team.version},
    )

    stored = Team.objects.get(pk=team.pk)
    assert response.status_code == 302
    assert (stored.name, stored.version) == ("North (mine)", team.version + 1)
