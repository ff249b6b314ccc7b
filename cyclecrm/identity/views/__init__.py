"""The settings pages (users, teams, roles, custom fields, API tokens, explain access)."""
