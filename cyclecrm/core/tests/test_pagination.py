import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.selectors import CONTACT_ORDERINGS
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.pagination import paginate
from cyclecrm.core.testing.factories import make_contact


def walk(ordering: str, limit: int) -> list[int]:
    seen, cursor = [], None
    while True:
        page = paginate(
            Contact.objects.all(),
            orderings=CONTACT_ORDERINGS,
            ordering=ordering,
            default_ordering="name",
            limit=limit,
            cursor=cursor,
        )
        seen += [row.pk for row in page.items]
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.sampled_from(["Ng", "Ngo", "Smith", "smith", "Ünal", ""]), min_size=1, max_size=12
    ),
    limit=st.integers(min_value=1, max_value=5),
    ordering=st.sampled_from(sorted(CONTACT_ORDERINGS)),
)
def test_cursor_walk_visits_every_row_once_in_order(names, limit, ordering):
    Contact.objects.all().delete()
    for index, name in enumerate(names):
        make_contact(last_name=name or "X", first_name=name, email=f"{name}{index}@x.org".lower())
    expected = list(
        Contact.objects.order_by(*CONTACT_ORDERINGS[ordering].order_by()).values_list(
            "pk", flat=True
        )
    )
    assert walk(ordering, limit) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "a" * 40])
def test_tampered_cursor_is_rejected(cursor):
    with pytest.raises(ValidationFailed) as caught:
        paginate(
            Contact.objects.all(),
            orderings=CONTACT_ORDERINGS,
            ordering="name",
            default_ordering="name",
            limit=5,
            cursor=cursor,
        )
    assert "cursor" in caught.value.fields


@pytest.mark.django_db
def test_unknown_ordering_is_rejected():
    with pytest.raises(ValidationFailed) as caught:
        paginate(
            Contact.objects.all(),
            orderings=CONTACT_ORDERINGS,
            ordering="password",
            default_ordering="name",
            limit=5,
            cursor=None,
        )
    assert "ordering" in caught.value.fields
