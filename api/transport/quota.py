"""Open streams per client address, counted in this process: one address cannot hold more than
its share of the server's connections and replay buffers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from api.domain.errors import Code, DomainError


class StreamQuota:
    def __init__(self, per_address: int) -> None:
        self._per_address = per_address
        self._open: Counter[str] = Counter()

    @contextmanager
    def hold(self, address: str) -> Iterator[None]:
        """One stream for `address` while the block runs; 429 past the quota."""
        self.take(address)
        try:
            yield
        finally:
            self.release(address)

    def take(self, address: str) -> None:
        """One more stream for `address` (429 past the quota); `release` gives it back."""
        if self._open[address] >= self._per_address:
            raise DomainError(
                Code.RATE_LIMITED,
                f"too many open streams from your address (at most {self._per_address}); close some",
                retry_after=5,
            )
        self._open[address] += 1

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if not self._open[address]:
            del self._open[address]
