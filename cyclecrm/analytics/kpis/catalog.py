"""Imports every area module so its metrics register (called once from AppConfig.ready)."""

import importlib

AREAS = ("acquisition", "sales", "service", "retention")


def load() -> None:
    for area in AREAS:
        importlib.import_module(f"cyclecrm.analytics.kpis.{area}")
