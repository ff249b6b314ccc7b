"""Which queue backend the jobs go through, described for logs and the job page."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def queue_description() -> str:
    """ "SQLite queue at /srv/crm/var/huey.sqlite3" or "Redis queue at redis://host:6379/0"
    (never the Redis password)."""
    config = settings.HUEY
    if config.get("immediate"):
        return "immediate mode (jobs run in the calling process; no queue)"
    if config.get("huey_class") == "huey.RedisHuey":
        return f"Redis queue at {redacted_url(config.get('url', ''))}"
    return f"SQLite queue at {config.get('filename', '')}"


def redacted_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
