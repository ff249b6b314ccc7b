"""Every URL pattern of the project as a concrete path, for tests that walk the whole site
(CSRF on every form, the Content-Security-Policy of every page)."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
# A value of each path converter the project uses; any record id works for checks that run
# before the view (CSRF), and unknown ids are the views' own 404s.
SAMPLE_VALUES = {"int": "1", "str": "sample", "slug": "sample", "path": "sample", "uuid": ""}
SAMPLE_VALUES["uuid"] = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Route:
    route: str  # as declared: "contacts/<int:pk>/"
    name: str  # "namespace:name", or the route when unnamed
    callback: Callable[..., Any]

    @property
    def has_parameters(self) -> bool:
        return bool(_PARAMETER.search(self.route))

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    def sample_path(self) -> str:
        """The route with a sample value for each parameter: `/contacts/1/`."""
        return "/" + _PARAMETER.sub(lambda m: SAMPLE_VALUES[m.group(1) or "str"], self.route)


def all_routes() -> list[Route]:
    """Every plain (non-regex) URL pattern, in declaration order."""
    return list(_walk(get_resolver(), "", ""))


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and not str(entry.pattern).startswith("^"):
            route = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else route
            yield Route(route=route, name=name, callback=entry.callback)
