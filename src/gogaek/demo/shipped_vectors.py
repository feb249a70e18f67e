"""Reads the demo FAQ's vectors shipped in the package (made by ``python -m gogaek.demo.vectors``).

Kept apart from the generator so the search service can read the file without importing it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

VECTORS_PATH = Path(__file__).with_name("search-vectors.npz")


@functools.cache
def shipped_vectors() -> dict[str, bytes]:
    """Key → float32 bytes, as the vector store keeps them; empty if the file is missing. Not to be mutated."""
    if not VECTORS_PATH.exists():
        return {}
    vectors: dict[str, bytes] = {}
    with np.load(VECTORS_PATH, allow_pickle=False) as data:
        for name in data.files:
            if name.startswith("keys_"):
                rows = data[f"vectors_{name.removeprefix('keys_')}"].astype(np.float32)
                vectors.update({str(key): row.tobytes() for key, row in zip(data[name], rows, strict=True)})
    return vectors
