"""Background jobs of this area (Huey tasks); `dataquality.tasks` imports them for discovery."""
