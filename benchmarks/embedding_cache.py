"""Persisting the engine's embedding cache between benchmark runs (an .npz file)."""

from pathlib import Path

import numpy as np


def load(path: Path | None) -> dict[str, bytes]:
    """The cache stored at ``path`` (empty if there is none)."""
    if path is None or not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {str(k): v.tobytes() for k, v in zip(data["keys"], data["vectors"], strict=True)}


def save(path: Path | None, cache: dict[str, bytes]) -> None:
    """Write the cache to ``path`` (no-op without a path)."""
    if path is None or not cache:
        return
    keys = np.array(sorted(cache))
    vectors = np.stack([np.frombuffer(cache[k], dtype=np.float32) for k in keys])
    np.savez(path, keys=keys, vectors=vectors)
