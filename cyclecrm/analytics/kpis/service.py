"""Service metrics (docs/kpis.md#service)."""
