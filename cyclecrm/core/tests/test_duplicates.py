"""A unique violation names the fields of the violated constraint, read from the database's
own error (constraint name on PostgreSQL, `table.column` or index name on SQLite), never from
field names that happen to appear in the error text."""

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import UniqueConstraint
from django.db.models.functions import Lower

from cyclecrm.catalog.models import Product
from cyclecrm.catalog.tests.factories import make_product
from cyclecrm.contacts.models import Account
from cyclecrm.core.duplicates import _expression_fields, duplicate_fields
from cyclecrm.core.errors import Duplicate
from cyclecrm.core.records import record_create, record_update
from cyclecrm.core.testing.factories import make_account
from cyclecrm.pipeline.models import Stage
from cyclecrm.pipeline.tests.factories import make_pipeline


def _violation(create) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        create()
    return caught.value


class _UniqueViolation(Exception):
    """Stands in for psycopg's UniqueViolation: its `diag` carries the constraint name."""

    def __init__(self, constraint_name: str) -> None:
        super().__init__(f'duplicate key value violates unique constraint "{constraint_name}"')
        self.diag = SimpleNamespace(constraint_name=constraint_name)


def _pg_error(constraint_name: str) -> IntegrityError:
    """An IntegrityError shaped as Django wraps psycopg's UniqueViolation."""
    cause = _UniqueViolation(constraint_name)
    exc = IntegrityError(*cause.args)
    exc.__cause__ = cause
    return exc


# -- through the record write path, on whichever database runs the tests ------------------------


def test_duplicate_external_id_is_reported_on_external_id_only(admin):
    make_account(external_id="erp-1")
    with pytest.raises(Duplicate) as caught:
        record_create(actor=admin, model=Account, data={"name": "Other", "external_id": "erp-1"})
    assert caught.value.fields == {"external_id": ["Another record already has this external id."]}


def test_duplicate_unique_field_on_update_names_that_field(admin):
    make_product(sku="SKU-TAKEN")
    product = make_product(sku="SKU-FREE")
    with pytest.raises(Duplicate) as caught:
        record_update(actor=admin, instance=product, data={"sku": "SKU-TAKEN"}, version=1)
    assert caught.value.fields == {"sku": ["A record with this value already exists."]}


def test_duplicate_fields_on_a_real_violation_of_a_unique_field(db):
    make_product(sku="SKU-1")
    exc = _violation(lambda: make_product(sku="SKU-1"))
    assert duplicate_fields(Product, exc, "default") == ["sku"]


def test_duplicate_fields_on_a_real_violation_of_a_declared_constraint(db):
    pipeline = make_pipeline("Sales")
    first = Stage.objects.filter(pipeline=pipeline).first()
    exc = _violation(lambda: Stage.objects.create(pipeline=pipeline, name=first.name, position=99))
    assert duplicate_fields(Stage, exc, "default") == ["pipeline", "name"]


# -- each database's error shape, whichever database runs the tests ------------------------------


def test_postgresql_constraint_name_maps_to_the_declared_constraint():
    exc = _pg_error("contacts_account_external_id_uniq")
    assert duplicate_fields(Account, exc, "default") == ["external_id"]


def test_postgresql_constraint_name_of_a_unique_field_is_introspected(db):
    names = connection.introspection.get_constraints(connection.cursor(), Product._meta.db_table)
    generated = [
        name for name, spec in names.items() if spec["unique"] and spec["columns"] == ["sku"]
    ]
    assert generated  # e.g. catalog_product_sku_key, or an autoindex on SQLite
    assert duplicate_fields(Product, _pg_error(generated[0]), "default") == ["sku"]


def test_an_unknown_constraint_name_names_no_field(db):
    assert duplicate_fields(Account, _pg_error("some_other_table_id_key"), "default") == []


def test_sqlite_message_lists_table_and_columns():
    exc = IntegrityError(
        "UNIQUE constraint failed: pipeline_stage.pipeline_id, pipeline_stage.name"
    )
    assert duplicate_fields(Stage, exc, "default") == ["pipeline", "name"]


def test_sqlite_message_of_another_table_names_no_field():
    exc = IntegrityError("UNIQUE constraint failed: catalog_product.sku")
    assert duplicate_fields(Account, exc, "default") == []


def test_sqlite_message_naming_an_index_maps_to_the_constraint():
    exc = IntegrityError("UNIQUE constraint failed: index 'pipeline_stage_name_uniq'")
    assert duplicate_fields(Stage, exc, "default") == ["pipeline", "name"]


def test_an_error_that_says_nothing_names_no_field():
    assert duplicate_fields(Account, IntegrityError("id name account"), "default") == []


def test_expression_constraints_name_the_fields_they_are_built_on():
    constraint = UniqueConstraint(Lower("email"), "owner", name="lower_email_uniq")
    assert _expression_fields(constraint) == ["email", "owner"]
