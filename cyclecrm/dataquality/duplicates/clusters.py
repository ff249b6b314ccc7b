"""Grouping scored pairs into clusters, as a merge would act on them.

Plain connected components chain: A~B and B~C put A and C together even when A and C share
nothing. `group` therefore takes the edges best first and lets an edge below the type's
`strong` score only attach a lone record to a group, never join two groups of two or more
(mode "guarded"); mode "connected" is the plain components, kept to measure the difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np


class _Groups:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.size: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        self.size.setdefault(item, 1)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[item] = parent
        return parent

    def union(self, a: int, b: int) -> None:
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]


def group(
    edges: Iterable[tuple[int, int, float]], *, strong: float, mode: str = "guarded"
) -> list[list[int]]:
    """Clusters (sorted member ids, two or more) from (left, right, score) edges."""
    groups = _Groups()
    for left, right, score in sorted(edges, key=lambda edge: -edge[2]):
        a, b = groups.find(left), groups.find(right)
        if a == b:
            continue
        weak = score < strong
        if mode == "guarded" and weak and groups.size[a] > 1 and groups.size[b] > 1:
            continue
        groups.union(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for item in groups.parent:
        members[groups.find(item)].append(item)
    return sorted((sorted(ids) for ids in members.values() if len(ids) > 1), key=lambda c: c[0])


def group_indexed(
    left: np.ndarray, right: np.ndarray, score: np.ndarray, size: int, *, strong: float
) -> np.ndarray:
    """`group` (mode guarded) over records numbered 0..size-1, for a batch scan's millions of
    edges held in arrays: the cluster number of each record (-1 when alone), clusters numbered
    in the order of their smallest member, as `group` sorts them. Plain lists of ints instead
    of dicts of tuples keep a million records at a few tens of MB."""
    parent = list(range(size))
    sizes = [1] * size

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    order = np.argsort(-score, kind="stable")
    for a, b, value in zip(
        left[order].tolist(), right[order].tolist(), score[order].tolist(), strict=True
    ):
        a, b = find(a), find(b)
        if a == b or (value < strong and sizes[a] > 1 and sizes[b] > 1):
            continue
        if sizes[a] < sizes[b]:
            a, b = b, a
        parent[b] = a
        sizes[a] += sizes[b]
    labels = np.full(size, -1, dtype=np.int64)
    numbers: dict[int, int] = {}
    for item in range(size):
        root = find(item)
        if sizes[root] > 1:
            labels[item] = numbers.setdefault(root, len(numbers))
    return labels
