"""Reads of the analytics app: quotas (quotas.py), dashboard filters and pins (dashboards.py)."""
