"""A paginator for lists that can grow past what is worth counting (the headquarters'
inbox: 250,000 conversations): it counts no further than `cap` rows, and says so."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """Pages of at most `cap` rows in all. Past the cap, `capped` is true and the pagination
    says "of more than N pages": the reader narrows the filters rather than page 201."""

    def __init__(self, object_list, per_page, *, cap: int, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        # Only the ids, unordered, and no further than one past the cap: the count stays
        # small however many rows match, and the list's annotations are never computed.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
