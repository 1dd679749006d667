"""One page of a long list: which page, how many rows a page holds, how many there are in all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
PAGE_SIZE = 50
LARGEST_PAGE = 200


@dataclass
class Page(Generic[T]):
    number: int
    size: int
    total: int
    items: list[T] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.size = max(1, min(self.size, LARGEST_PAGE))
        self.number = max(1, min(self.number, self.pages))

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The ordinal of the page's first row (1-based), 0 when there are none."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)


def page_number(raw: str | None) -> int:
    """A page number from a query string; anything else is the first page."""
    return int(raw) if raw and raw.isdigit() and 0 < len(raw) < 7 else 1
