"""Retention metrics (docs/kpis.md#retention)."""
