"""Import targets by record type.

Every module of this package (other than `base`) may define `TARGET` (an `ImportTarget`) and
`PRESETS` (a list of `Preset`); they are discovered here, so adding a record type or a preset
is adding a module.
"""

import importlib
import pkgutil
from functools import cache

from cyclecrm.dataquality.imports.targets.base import ImportTarget, Preset


@cache
def _modules() -> tuple:
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name != "base")
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)


class _Targets(dict):
    """`TARGETS[record_type]`, filled on first use so models are loaded by then."""

    def _load(self) -> None:
        if not dict.__len__(self):
            for module in _modules():
                found = getattr(module, "TARGET", None)
                if found is not None:
                    dict.__setitem__(self, found.record_type, found)

    def __getitem__(self, key: str) -> ImportTarget:
        self._load()
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self._load()
        return dict.__contains__(self, key)

    def __iter__(self):
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)

    def keys(self):
        self._load()
        return dict.keys(self)

    def values(self):
        self._load()
        return dict.values(self)

    def items(self):
        self._load()
        return dict.items(self)

    def get(self, key, default=None):
        self._load()
        return dict.get(self, key, default)


TARGETS: dict[str, ImportTarget] = _Targets()


def target(record_type: str) -> ImportTarget:
    """The target of a record type; KeyError names the known types."""
    try:
        return TARGETS[record_type]
    except KeyError:
        raise KeyError(
            f"No import for {record_type!r}; known: {', '.join(sorted(TARGETS))}."
        ) from None


def presets() -> list[Preset]:
    """Presets of the target modules and of `imports.presets` (its `PRESETS` list)."""
    found: list[Preset] = []
    shared = importlib.import_module("cyclecrm.dataquality.imports.presets")
    for module in (*_modules(), shared):
        found.extend(getattr(module, "PRESETS", ()))
    return sorted(found, key=lambda preset: (preset.record_type, preset.label))
