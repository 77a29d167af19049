"""Per-KB gate calibration at index build, from a shipped domain-neutral set of off-topic messages."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from index.intent import content_request
from index.normalize import is_contentless, normalize

if TYPE_CHECKING:
    from index.engine import Engine
    from index.vectors import EmbeddingCache


@lru_cache(maxsize=1)
def offtopic_messages() -> tuple[str, ...]:
    """The shipped off-topic/chit-chat messages (index/data/offtopic.txt)."""
    text = resources.files("index").joinpath("data/offtopic.txt").read_text(encoding="utf-8")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


MARGIN_WEIGHTS = (0.5, 1.0, 2.0)   # confidence = top-1 score + w * (top-1 - top-2)


def negative_features(engine: Engine, cache: EmbeddingCache) -> dict[str, np.ndarray]:
    """Top FAQ score and top item score of each off-topic message against this KB."""
    faq_top, faq_second, item_top = [], [], []
    norms = [normalize(m) for m in offtopic_messages()]
    norms = [n for n in norms if not is_contentless(n)]
    topics, is_req = [], []
    for n in norms:
        req = content_request(n)
        topics.append(req.topic if req.explicit and req.topic else n)
        is_req.append(req.explicit and bool(req.topic))
    qv = cache.encode(norms, "query", "calibration")
    tv = cache.encode(topics, "query", "calibration")
    for n, t, q, v in zip(norms, topics, qv, tv, strict=True):
        faq, _, _ = engine.faq_scores(n, q)
        # same conventions as decide(): a missing top-1/top-2 scores -1
        two = np.sort(faq)[-2:] if len(faq) > 1 else np.array([-1.0, float(faq.max()) if len(faq) else -1.0])
        faq_top.append(float(two[-1]))
        faq_second.append(float(two[0]))
        items, _, _ = engine.item_scores(t, v, k=10)
        item_top.append(items[0][1] if items else 0.0)
    top, second = np.array(faq_top), np.array(faq_second)
    items = np.array(item_top)
    out = {"faq": top, "item": items, "item_req": items[np.array(is_req, dtype=bool)]}
    for lam in MARGIN_WEIGHTS:
        out[f"faqm{lam:g}"] = top + lam * (top - second)
    return out


def calibrate(engine: Engine, cache: EmbeddingCache) -> dict[str, float]:
    """Gate thresholds for this KB: high quantiles of off-topic scores."""
    neg = negative_features(engine, cache)
    out: dict[str, float] = {}
    for name, vals in neg.items():
        if len(vals) == 0:
            continue
        for q in (50, 90, 95, 98, 100):
            out[f"{name}_q{q}"] = float(np.percentile(vals, q))
    return out
