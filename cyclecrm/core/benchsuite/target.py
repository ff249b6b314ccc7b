"""What every measurement of the suite is given: one database with the data set loaded and a
production server running on it."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    """One database under test.

    `env` is the environment for child processes (`python -m cyclecrm ...`, gunicorn, Huey
    workers): it names the database (`DATABASE_URL`, or `CYCLECRM_DATA_DIR` for SQLite) and
    turns DEBUG off. `base_url` is the running production server; `token` is an API token of
    the benchmark's admin user (`BENCH_ADMIN`), `rep_token` one of a sales rep (`BENCH_REP`).
    `session_cookie` is a logged-in admin session for the web pages.
    """

    database: str  # "sqlite" or "postgresql"
    scale: int  # contacts in the data set
    env: dict[str, str]
    base_url: str
    token: str
    rep_token: str = ""
    session_cookie: str = ""
    workdir: str = ""  # a scratch directory for files (CSV, logs) of this target
    extra: dict[str, str] = field(default_factory=dict)
