"""Sales metrics (docs/kpis.md#sales)."""
