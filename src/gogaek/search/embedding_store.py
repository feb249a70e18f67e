"""Embedding vectors kept across restarts: a dict in memory, backed by a SQLite file.

Embedding one phrasing costs 10–20 ms, so a cold start of a large FAQ would take minutes;
with this store only new or edited phrasings are embedded. Several processes may share the
file (SQLite locks it); a lost write only means that vector is computed again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path


class EmbeddingStore(MutableMapping[str, bytes]):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._lock = threading.Lock()
        with self._lock, self._connection:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            rows = self._connection.execute("SELECT key, vector FROM vectors").fetchall()
        self._memory: dict[str, bytes] = {key: bytes(vector) for key, vector in rows}

    def __getitem__(self, key: str) -> bytes:
        return self._memory[key]

    def __setitem__(self, key: str, value: bytes) -> None:
        self._memory[key] = value
        with self._lock, self._connection:
            self._connection.execute("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", (key, value))

    def __delitem__(self, key: str) -> None:
        del self._memory[key]
        with self._lock, self._connection:
            self._connection.execute("DELETE FROM vectors WHERE key = ?", (key,))

    def __iter__(self) -> Iterator[str]:
        return iter(self._memory)

    def __len__(self) -> int:
        return len(self._memory)

    def close(self) -> None:
        with self._lock:
            self._connection.close()
