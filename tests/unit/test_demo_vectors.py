"""The demo FAQ's shipped vectors cover every text the engine embeds, and are what the models give.

If this fails after an edit of src/gogaek/demo/faq.jsonl, run ``python -m gogaek.demo.vectors``.
"""

from __future__ import annotations

import numpy as np

from gogaek.demo.shipped_vectors import shipped_vectors
from gogaek.demo.vectors import demo_documents
from gogaek.search.engine import embedded_texts
from gogaek.search.semantic import Embedder, load_embedders, text_key


async def test_every_demo_text_has_a_vector_for_every_installed_model() -> None:
    shipped = shipped_vectors()
    embedders = load_embedders()
    assert {embedder.spec.name for embedder in embedders} == {"e5", "use"}
    texts = embedded_texts(await demo_documents())
    assert len(texts) > 500
    missing = [(e.spec.name, t) for e in embedders for t in texts if text_key(t, e.spec) not in shipped]
    assert not missing, f"run `python -m gogaek.demo.vectors`: {missing[:3]}"


async def test_a_shipped_vector_is_what_the_model_gives_now() -> None:
    shipped = shipped_vectors()
    question = (await demo_documents())[0].question
    for spec in (embedder.spec for embedder in load_embedders()):
        fresh = Embedder.load(spec, {}).texts([question])[0]  # type: ignore[union-attr]
        stored = np.frombuffer(shipped[text_key(question, spec)], dtype=np.float32)
        assert np.allclose(fresh, stored, atol=1e-5), spec.name
