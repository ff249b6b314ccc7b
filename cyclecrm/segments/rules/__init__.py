"""The segment rule language: a field registry (`fields.py`) and the compiler that validates a
rule tree and turns it into one contact queryset (`compiler.py`). See docs/segments.md."""

from cyclecrm.segments.rules.compiler import CompiledRules, RuleError, compile_rules
from cyclecrm.segments.rules.fields import FieldSpec, field_catalog, field_spec

__all__ = [
    "CompiledRules",
    "FieldSpec",
    "RuleError",
    "compile_rules",
    "field_catalog",
    "field_spec",
]
