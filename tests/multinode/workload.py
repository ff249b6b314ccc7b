"""The mixed workload of the multi-node test: threads of a small `requests` client, each
sending its requests to the two web processes in turn, and what they saw (`Tally`).

Every response is checked against the statuses its operation may answer: a 5xx, a refused
connection or any other unexpected status is recorded as such; 409 on an update is the version
conflict the API specifies (ADR 0005), counted, not an error."""

import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

API = "/api/v1"
PROXY = {"X-Forwarded-Proto": "https"}  # what the reverse proxy in front of the nodes adds
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
API_DOMAIN = "api.multinode.example.com"  # of the contacts created through the API
IMPORT_ROWS = 25
MAX_IMPORTS_PER_CLIENT = 3
OPERATIONS = {
    "create": 20,
    "update": 20,
    "detail": 12,
    "list": 10,
    "search": 10,
    "page": 10,
    "email": 8,
    "import": 2,
}


@dataclass
class Tally:
    """What every client saw, shared between the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)  # (port, operation, status) -> count
    server_errors: list[str] = field(default_factory=list)
    connection_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    updates: dict[int, int] = field(default_factory=dict)  # contact id -> successful updates
    conflicts: int = 0
    emails: dict[int, str] = field(default_factory=dict)  # interaction id -> subject
    imports: dict[int, str] = field(default_factory=dict)  # import id -> e-mail domain

    def summary(self) -> str:
        return (
            f"responses: {dict(self.statuses)}\ncontacts: {len(self.updates)}, updates: "
            f"{sum(self.updates.values())}, conflicts: {self.conflicts}, e-mails: "
            f"{len(self.emails)}, imports: {len(self.imports)}\nserver errors: "
            f"{self.server_errors[:5]}\nconnection errors: {self.connection_errors[:5]}\n"
            f"unexpected: {self.unexpected[:5]}"
        )

    def successes_per_port(self) -> Counter:
        counts: Counter = Counter()
        for (port, _, status), count in self.statuses.items():
            if status < 400:
                counts[port] += count
        return counts


class Client:
    def __init__(self, index: int, urls: list[str], token: str, password: str, tally: Tally):
        self.index = index
        self.urls = urls
        self.tally = tally
        self.rng = random.Random(index)
        self.turn = index  # clients start on different nodes
        self.imports = 0
        self.api = requests.Session()
        self.api.headers.update({"Authorization": f"Bearer {token}", **PROXY})
        self.web = requests.Session()
        self.web.headers.update(PROXY)
        self.password = password

    # -- one request --------------------------------------------------------------------------

    def call(
        self, operation: str, session: requests.Session, method: str, path: str,
        expected: tuple[int, ...], **kwargs: Any,
    ) -> requests.Response | None:  # fmt: skip
        url = self.urls[self.turn % len(self.urls)]
        self.turn += 1
        port = int(url.rpartition(":")[2])
        try:
            response = session.request(
                method, url + path, timeout=120, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            with self.tally.lock:
                self.tally.connection_errors.append(f"{operation} {method} {url}{path}: {exc}")
            return None
        status = response.status_code
        with self.tally.lock:
            self.tally.statuses[port, operation, status] += 1
            note = f"{operation} {method} {url}{path} -> {status}: {response.text[:300]}"
            if status >= 500:
                self.tally.server_errors.append(note)
            elif status not in expected:
                self.tally.unexpected.append(note)
        _forget_secure_flags(session)
        return response if status in expected else None

    # -- set-up -------------------------------------------------------------------------------

    def log_in(self, username: str) -> None:
        """Log in to the pages on one node; the session then serves on the other one too."""
        page = self.call("login", self.web, "GET", "/accounts/login/", (200,))
        assert page is not None, "the login page did not load"
        token = CSRF_INPUT.search(page.text)
        assert token is not None, "no CSRF token on the login page"
        origin = "https://" + self.urls[self.turn % len(self.urls)].partition("://")[2]
        done = self.call(
            "login", self.web, "POST", "/accounts/login/", (302,),
            data={"username": username, "password": self.password,
                  "csrfmiddlewaretoken": token.group(1)},
            headers={"Origin": origin},
        )  # fmt: skip
        assert done is not None, "logging in failed"

    # -- the workload -------------------------------------------------------------------------

    def run(self, until: float) -> None:
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        try:
            while time.monotonic() < until:
                operation = self.rng.choices(names, weights)[0]
                if operation != "create" and not self._known_contacts():
                    operation = "create"
                getattr(self, f"do_{operation}")()
        except Exception as exc:  # a bug of the client must fail the test, not end a thread
            with self.tally.lock:
                self.tally.unexpected.append(f"client {self.index} crashed: {exc!r}")

    def _known_contacts(self) -> list[int]:
        with self.tally.lock:
            return list(self.tally.updates)

    def _some_contact(self) -> int:
        # Among the newest, so that clients often update the same contact at once.
        return self.rng.choice(self._known_contacts()[-20:])

    def do_create(self) -> None:
        tag = uuid.uuid4().hex[:12]
        body = {
            "first_name": "Node",
            "last_name": f"Mn-{tag}",
            "email": f"{tag}@{API_DOMAIN}",
            "force": True,
        }
        response = self.call("create", self.api, "POST", f"{API}/contacts", (201,), json=body)
        if response is not None:
            with self.tally.lock:
                self.tally.updates[response.json()["id"]] = 0

    def do_update(self) -> None:
        contact = self._some_contact()
        current = self.call("detail", self.api, "GET", f"{API}/contacts/{contact}", (200,))
        if current is None:
            return
        body = {"version": current.json()["version"], "title": f"T-{uuid.uuid4().hex[:8]}"}
        path = f"{API}/contacts/{contact}"
        response = self.call("update", self.api, "PATCH", path, (200, 409), json=body)
        if response is None:
            return
        with self.tally.lock:
            if response.status_code == 200:
                self.tally.updates[contact] += 1
            else:
                self.tally.conflicts += 1

    def do_detail(self) -> None:
        self.call("detail", self.api, "GET", f"{API}/contacts/{self._some_contact()}", (200,))

    def do_list(self) -> None:
        first = self.call("list", self.api, "GET", f"{API}/contacts?limit=20", (200,))
        cursor = first.json().get("next_cursor") if first is not None else None
        if cursor:
            path = f"{API}/contacts?limit=20"
            self.call("list", self.api, "GET", path, (200,), params={"cursor": cursor})

    def do_search(self) -> None:
        term = self.rng.choice(["Mn-", "node", "api.multinode", "imp"])
        self.call("search", self.api, "GET", f"{API}/contacts", (200,), params={"q": term})

    def do_page(self) -> None:
        path = self.rng.choice(["/contacts/", "/", "/leads/", "/jobs/"])
        self.call("page", self.web, "GET", path, (200,))

    def do_email(self) -> None:
        subject = f"Multinode {uuid.uuid4().hex}"
        body = {"contact": self._some_contact(), "subject": subject, "body": "Hello from a node."}
        response = self.call("email", self.api, "POST", f"{API}/emails", (202,), json=body)
        if response is not None:
            with self.tally.lock:
                self.tally.emails[response.json()["id"]] = subject

    def do_import(self) -> None:
        if self.imports >= MAX_IMPORTS_PER_CLIENT:
            return
        self.imports += 1
        domain = f"imp-{uuid.uuid4().hex[:10]}.multinode.example.com"
        lines = ["First name,Last name,Email"]
        lines += [f"Imported,Row{n},row{n}@{domain}" for n in range(IMPORT_ROWS)]
        upload = self.call(
            "import", self.api, "POST", f"{API}/imports", (201,),
            data={"record_type": "contact"},
            files={"file": ("people.csv", "\n".join(lines).encode(), "text/csv")},
        )  # fmt: skip
        if upload is None:
            return
        job = upload.json()["id"]
        if self.call("import", self.api, "POST", f"{API}/imports/{job}/start", (200,)):
            with self.tally.lock:
                self.tally.imports[job] = domain


def _forget_secure_flags(session: requests.Session) -> None:
    """The nodes set Secure cookies (production behind HTTPS); the test talks plain HTTP to
    them as the proxy does, so the cookies must be sent back anyway."""
    for cookie in session.cookies:
        cookie.secure = False


def drive(
    urls: list[str], token: str, username: str, password: str, *, clients: int, seconds: float
) -> Tally:
    """Run `clients` threads against `urls` for `seconds`; returns what they saw."""
    tally = Tally()
    workers = [Client(index, urls, token, password, tally) for index in range(clients)]
    for client in workers:
        client.log_in(username)
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client.run, args=(until,)) for client in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally
