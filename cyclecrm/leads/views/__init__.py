"""Web pages of the leads app: leads themselves (`leads`), scoring and assignment settings."""
