"""Services for tags and custom field definitions: rights, validation, history."""

import pytest

from cyclecrm.core.custom_field_admin import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
    custom_record_types,
)
from cyclecrm.core.errors import Duplicate, Forbidden, ValidationFailed
from cyclecrm.core.models import CustomField, HistoryEntry, Tag
from cyclecrm.core.tag_admin import tag_create, tag_delete, tag_update


def test_tag_lifecycle_is_audited(admin):
    tag = tag_create(actor=admin, data={"name": " vip ", "color": "#112233"})
    tag_update(actor=admin, tag=tag, data={"name": "VIP"}, version=tag.version)
    tag_delete(actor=admin, tag=tag)

    entries = HistoryEntry.objects.filter(record_type="tag").order_by("id")
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[0].changes["name"] == [None, "vip"]
    assert entries[1].changes == {"name": ["vip", "VIP"]}
    assert not Tag.objects.exists()


def test_tag_update_without_change_writes_no_history(admin):
    tag = tag_create(actor=admin, data={"name": "same"})

    tag_update(actor=admin, tag=tag, data={"name": "same"}, version=tag.version)

    assert HistoryEntry.objects.filter(record_type="tag").count() == 1


def test_tag_rename_to_an_existing_name_is_a_duplicate(admin):
    tag_create(actor=admin, data={"name": "one"})
    two = tag_create(actor=admin, data={"name": "two"})

    with pytest.raises(Duplicate):
        tag_update(actor=admin, tag=two, data={"name": "ONE"}, version=two.version)


def test_tag_edit_needs_the_all_level(rep_a):
    tag = tag_create(actor=rep_a, data={"name": "mine"})

    with pytest.raises(Forbidden):
        tag_update(actor=rep_a, tag=tag, data={"color": "#000000"}, version=tag.version)
    with pytest.raises(Forbidden):
        tag_delete(actor=rep_a, tag=tag)


def test_only_business_records_take_custom_fields(db):
    types = custom_record_types()

    assert {"account", "contact"} <= set(types)
    assert not {"user", "team", "tag", "token"} & set(types)


def test_custom_field_lifecycle_is_audited_under_its_own_type(admin):
    field = custom_field_create(
        actor=admin,
        data={"record_type": "account", "key": "arr", "label": "ARR", "kind": "decimal",
              "min_value": "0", "max_value": "1000000.5"},
    )  # fmt: skip
    field_id = field.pk
    custom_field_update(
        actor=admin, field=field, data={"max_value": "2000000"}, version=field.version
    )
    custom_field_delete(actor=admin, field=field)

    entries = HistoryEntry.objects.filter(record_type="custom_field").order_by("id")
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert {e.object_id for e in entries} == {field_id}
    assert entries[1].changes == {"max_value": ["1000000.500000", "2000000.000000"]}
    assert not HistoryEntry.objects.filter(record_type="account").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"choices": []}, "choices"),
        ({"choices": ["a", "a"]}, "choices"),
        ({"max_length": 5}, "max_length"),
        ({"label": "  "}, "label"),
        ({"position": -1}, "position"),
        ({"kind": "text"}, "kind"),
        ({"record_type": "account"}, "record_type"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_custom_field_update_validates_the_result(admin, change, field):
    definition = custom_field_create(
        actor=admin,
        data={"record_type": "contact", "key": "tier", "label": "Tier", "kind": "choice",
              "choices": ["gold"]},
    )  # fmt: skip

    with pytest.raises(ValidationFailed) as caught:
        custom_field_update(actor=admin, field=definition, data=change, version=definition.version)

    assert field in caught.value.fields
    definition.refresh_from_db()
    assert (definition.choices, definition.label) == (["gold"], "Tier")


def test_custom_field_changes_need_the_all_level(manager):
    with pytest.raises(Forbidden):
        custom_field_create(
            actor=manager,
            data={"record_type": "contact", "key": "x", "label": "X", "kind": "text"},
        )
    assert not CustomField.objects.exists()
