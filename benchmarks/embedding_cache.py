"""Persisting the engine's embedding cache between benchmark runs (an .npz file).

Vectors of different models have different sizes, so they are stored in one array per size.
"""

from pathlib import Path

import numpy as np


def load(path: Path | None) -> dict[str, bytes]:
    """The cache stored at ``path`` (empty if there is none)."""
    if path is None or not path.exists():
        return {}
    cache: dict[str, bytes] = {}
    with np.load(path, allow_pickle=False) as data:
        for name in data.files:
            if name.startswith("keys"):
                vectors = data["vectors" + name.removeprefix("keys")]
                cache.update({str(k): v.tobytes() for k, v in zip(data[name], vectors, strict=True)})
    return cache


def save(path: Path | None, cache: dict[str, bytes]) -> None:
    """Write the cache to ``path`` (no-op without a path)."""
    if path is None or not cache:
        return
    by_size: dict[int, list[str]] = {}
    for key, value in cache.items():
        by_size.setdefault(len(value), []).append(key)
    arrays: dict[str, np.ndarray] = {}
    for size, keys in by_size.items():
        keys.sort()
        arrays[f"keys_{size}"] = np.array(keys)
        arrays[f"vectors_{size}"] = np.stack([np.frombuffer(cache[k], dtype=np.float32) for k in keys])
    np.savez(path, **arrays)  # type: ignore[arg-type]
