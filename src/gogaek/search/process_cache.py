"""A bounded map shared by every search engine in a process, for work that depends only on text.

A rebuild (after another process's edit, a synonym change, or a second app in one process)
sees mostly texts it has seen before; what was derived from them is kept here instead of being
derived again. Values must never be changed once stored: several indexes share them.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class ProcessCache(Generic[Key, Value]):
    """Thread-safe; the least recently used entries go first once ``size`` is exceeded."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Key, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[Key]) -> dict[Key, Value]:
        """The stored values of those keys that are stored, each marked as just used."""
        found: dict[Key, Value] = {}
        with self._lock:
            for key in keys:
                value = self._entries.get(key)
                if value is not None:
                    self._entries.move_to_end(key)
                    found[key] = value
        return found

    def put_many(self, items: Mapping[Key, Value]) -> None:
        with self._lock:
            self._entries.update(items)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def keys(self) -> list[Key]:
        """Oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
