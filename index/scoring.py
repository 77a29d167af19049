"""Scoring FAQ entries and items for one query: dense similarity, fused with normalised BM25."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.bm25 import BM25


@dataclass(frozen=True)
class Weights:
    """How the signals are fused; the shipped defaults are domain-neutral."""

    phrasing: float = 1.0      # soft best match among an entry's phrasings (log-mean-exp, see below)
    phrasing_temp: float = 0.05  # temperature of that soft maximum: entries matched by several phrasings gain
    qa: float = 0.3            # the entry's question + start of its answer
    sentence: float = 0.7      # best match among the sentences of the entry's answer
    faq_bm25: float = 0.1     # normalised BM25 over the entry's phrasings, tags and answer
    paraphrase_shrink: float = 0.1  # FAQ views compared after shrinking the directions phrasings vary in
    facet: float = 0.02        # a message of one kind (a refusal, a where-question, index.intent.FACETS):
                               # entries phrased as that kind rank this much higher
    item_bm25: float = 0.1     # normalised BM25 over the item's title, tags, summary
    item_neighbour: float = 0.6  # items close to the best match move up: + this * (cosine to the best - 1)

    @property
    def faq_total(self) -> float:
        """Sum of the FAQ weights, so fused FAQ scores stay on the cosine scale."""
        return self.phrasing + self.qa + self.sentence + self.faq_bm25


def bm25_normalised(bm: BM25, query: list[str]) -> np.ndarray:
    """BM25 divided by the best score a document could reach for these tokens; tokens
    the corpus never uses count at full weight, so off-topic words lower every score."""
    if not query:
        return np.zeros(bm.n, dtype=np.float32)
    unseen = math.log(1 + (bm.n + 0.5) / 0.5)
    bound = sum(bm.idf.get(t, unseen) for t in set(query)) * (bm.k1 + 1)
    return bm.scores(query) / max(bound, 1e-9)


def coverage(bm: BM25, query: list[str]) -> float:
    """Idf-weighted share of the query's tokens that the corpus knows at all."""
    if not query:
        return 0.0
    unseen = math.log(1 + (bm.n + 0.5) / 0.5)
    toks = set(query)
    known = sum(bm.idf[t] for t in toks if t in bm.idf)
    total = known + unseen * sum(1 for t in toks if t not in bm.idf)
    return known / total if total else 0.0


def max_by_owner(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per owner (FAQ entry), the best similarity among its rows."""
    out = np.full(n, -1.0, dtype=np.float32)
    np.maximum.at(out, owner, sims)
    return out


def soft_max_by_owner(sims: np.ndarray, owner: np.ndarray, n: int, temp: float) -> np.ndarray:
    """Per owner, temp * log(mean(exp(sim / temp))): near the best similarity, a little higher when
    several of the owner's rows agree and a little lower when only one does."""
    if temp <= 0:
        return max_by_owner(sims, owner, n)
    s = sims.astype(np.float64)
    top = float(s.max()) if len(s) else 0.0
    acc = np.zeros(n, dtype=np.float64)
    cnt = np.zeros(n, dtype=np.float64)
    np.add.at(acc, owner, np.exp((s - top) / temp))
    np.add.at(cnt, owner, 1.0)
    with np.errstate(divide="ignore"):
        out = temp * np.log(acc / np.maximum(cnt, 1.0)) + top
    out[cnt == 0] = -1.0
    return np.maximum(out, -1.0).astype(np.float32)
