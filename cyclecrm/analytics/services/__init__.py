"""Writes of the analytics app: quotas (quotas.py), pinned KPIs (pins.py)."""
