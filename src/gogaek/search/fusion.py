"""Fusing the ranking channels into one score, and deciding when no article answers the query.

Channels, per article (names are the keys of ``ScoreComponents.channels``):

- ``lexical``: BM25 of the best phrasing + tags + 0.3 × answer (docs/search.md, step 7);
- ``lexical_answer``: BM25 of the answer alone;
- ``e5_phrasing`` / ``use_phrasing``: cosine similarity to the closest phrasing;
- ``e5_document`` / ``use_document``: cosine similarity to the whole article (question + answer).

Lexical channels are divided by their best score for the query; similarities are rescaled from
the model's floor (``ModelSpec.floor``) to 1 and clipped at 0, so they keep an absolute meaning.
The fused score is the weighted mean, in [0, 1]. There are two sets of weights: one for FAQs
whose articles have alternate phrasings written for them (chosen by ``benchmarks/tune_fusion.py``)
and one for FAQs imported as bare question + answer (learned by ``benchmarks/learn_fusion.py``);
an FAQ gets the blend that matches its share of articles with alternates. Both were chosen on
the tuning sets only (docs/search.md, docs/benchmarks.md).
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from gogaek.search.bm25 import FloatArray
from gogaek.search.semantic import MODELS

FLOORS = {f"{spec.name}_{view}": spec.floor for spec in MODELS for view in ("phrasing", "document")}


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """How much each channel counts (a missing model's channels are left out)."""

    lexical: float = 1.0
    lexical_answer: float = 0.3
    e5_phrasing: float = 2.0
    e5_document: float = 6.0
    use_phrasing: float = 0.3
    use_document: float = 2.0

    def of(self, channel: str) -> float:
        value: float = getattr(self, channel)
        return value

    def blended(self, other: "FusionWeights", share: float) -> "FusionWeights":
        """``share`` of ``self`` and the rest of ``other``, each taken as proportions."""
        names = [f.name for f in fields(self)]
        mine, theirs = sum(self.of(n) for n in names), sum(other.of(n) for n in names)
        return FusionWeights(**{n: share * self.of(n) / mine + (1 - share) * other.of(n) / theirs for n in names})


# For FAQs imported as bare question + answer: a linear ranker learned with a listwise loss on
# the card tuning set (``benchmarks/learn_fusion.py``); compared with the weights above it
# trusts the whole-article e5 similarity and the answer more and the question's words less.
BARE_FAQ_FUSION = FusionWeights(
    lexical=1.0, lexical_answer=1.53, e5_phrasing=4.29, e5_document=13.71, use_phrasing=0.57, use_document=3.64
)


def fusion_for(phrased: FusionWeights, bare: FusionWeights, phrased_share: float) -> FusionWeights:
    """The weights for an FAQ where ``phrased_share`` of the articles have alternate phrasings."""
    if phrased_share >= 1.0:
        return phrased
    if phrased_share <= 0.0:
        return bare
    return phrased.blended(bare, phrased_share)


@dataclass(frozen=True, slots=True)
class NoMatchRule:
    """When the best article is too far from the query to offer it as the answer.

    ``similarity`` is the best e5 similarity of the top hit (to its whole text or a phrasing);
    ``familiar_share`` the share of the query's nouns that occur anywhere in the FAQ (1 when it
    has none). The search says it found no good answer when
    ``similarity + familiar_weight × familiar_share < threshold``: e5 puts "주식 투자 수익률"
    fairly near a card article, but none of its nouns is one the FAQ uses, so it needs a closer
    match than a query in the FAQ's own words. A logistic boundary fitted on the tuning FAQs'
    right-first queries and the off-topic dev queries, set where 90 % of those abstain
    (``benchmarks/learn_no_match.py``; docs/search.md). Lexical-only engines have no absolute
    scale and never abstain while they have hits.
    """

    threshold: float = 0.9029
    familiar_weight: float = 0.0467

    def abstains(self, similarity: float, familiar_share: float) -> bool:
        return similarity + self.familiar_weight * familiar_share < self.threshold


def normalised(channel: str, scores: FloatArray) -> FloatArray:
    """A channel on the common [0, 1] scale."""
    floor = FLOORS.get(channel)
    if floor is None:
        top = float(scores.max(initial=0.0))
        return scores / top if top > 0 else scores
    return np.clip((scores - floor) / (1.0 - floor), 0.0, None)


def fuse(channels: Mapping[str, FloatArray], weights: FusionWeights) -> FloatArray:
    """The weighted mean of the normalised channels; a lexical-only engine keeps raw BM25."""
    if set(channels) == {"lexical"}:
        return channels["lexical"]
    total = sum(weights.of(name) for name in channels)
    fused = np.zeros_like(channels["lexical"])
    for name, scores in channels.items():
        if weights.of(name):
            fused += weights.of(name) * normalised(name, scores)
    return fused / total if total else fused


def top_similarity(channels: Mapping[str, FloatArray], slot: int) -> float | None:
    """The best e5 similarity of one article to the query, or None without e5."""
    views = [channels[name][slot] for name in ("e5_document", "e5_phrasing") if name in channels]
    return float(max(views)) if views else None
