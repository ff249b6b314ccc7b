"""Invalid rules are refused with the rule path and a reason a person can act on."""

import pytest

from cyclecrm.core.errors import Forbidden
from cyclecrm.segments.rules import RuleError, compile_rules

COUNTRY_DE = {"field": "country", "op": "eq", "value": "DE"}


def _errors(rules):
    with pytest.raises(RuleError) as caught:
        compile_rules(rules)
    return caught.value.fields


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "path", "message"),
    [
        ({"all": [COUNTRY_DE, COUNTRY_DE, {"field": "cuntry", "op": "eq", "value": "DE"}]},
         "rules.all[2].field", "Unknown field 'cuntry'."),
        ({"any": [{"field": "country", "op": "gt", "value": "DE"}]},
         "rules.any[0].op", "'gt' does not apply to text field 'country'"),
        ({"all": [{"field": "country", "op": "like", "value": "DE"}]},
         "rules.all[0].op", "Unknown operator 'like'."),
        ({"not": {"all": [{"field": "age", "op": "gte", "value": "old"}]}},
         "rules.not.all[0].value", "Enter a number."),
        ({"all": [{"field": "age", "op": "between", "value": [40, 20]}]},
         "rules.all[0].value", "The low value must not be above the high one."),
        ({"all": [{"field": "lifecycle_stage", "op": "eq", "value": "alien"}]},
         "rules.all[0].value", "'alien' is not one of"),
        ({"all": [{"field": "last_interaction_at", "op": "within_last_days", "value": -1}]},
         "rules.all[0].value", "whole number of days"),
        ({"all": [{"field": "orders.last_date", "op": "gt", "value": "yesterday"}]},
         "rules.all[0].value", "YYYY-MM-DD"),
        ({"all": [{"field": "title", "op": "is_empty", "value": "x"}]},
         "rules.all[0].value", "takes no value"),
        ({"all": [{"field": "country", "op": "in", "value": []}]},
         "rules.all[0].value", "non-empty list"),
        ({"all": [{"field": "country", "op": "eq", "value": "DE", "extra": 1}]},
         "rules.all[0].extra", "Unknown key 'extra'"),
        ({"all": [{"field": "city", "op": "eq", "value": "a\x00b"}]},
         "rules.all[0].value", "NUL"),
        ({"all": [{"field": "custom.no such key!", "op": "eq", "value": "x"}]},
         "rules.all[0].field", "Unknown field 'custom.no such key!'."),
        ({"all": "country"}, "rules.all", "Give a list"),
        ({"every": []}, "rules", "Use a group"),
        ({"all": [], "any": []}, "rules", "Use a group"),
        ([], "rules", "Use a group"),
        ({"all": [{"any": [{"op": "eq"}]}]}, "rules.all[0].any[0]", "Use a group"),
    ],
)  # fmt: skip
def test_invalid_rules_name_their_path(rules, path, message):
    errors = _errors(rules)

    assert path in errors, errors
    assert any(message in reason for reason in errors[path])


@pytest.mark.django_db
def test_every_error_is_reported_at_once():
    errors = _errors(
        {"all": [{"field": "x", "op": "eq"}, {"field": "age", "op": "eq", "value": 1.5}]}
    )

    assert set(errors) == {"rules.all[0].field", "rules.all[1].value"}


@pytest.mark.django_db
def test_depth_is_limited():
    rules: dict = {"all": []}
    for _ in range(10):
        rules = {"not": rules}

    assert any("deep" in reason for reasons in _errors(rules).values() for reason in reasons)


@pytest.mark.django_db
def test_hidden_field_is_refused():
    with pytest.raises(Forbidden) as caught:
        compile_rules(
            {"all": [{"field": "age", "op": "gt", "value": 3}]}, hidden=frozenset({"birth_date"})
        )

    assert "rules.all[0].field" in caught.value.fields
