"""Per-KB gate calibration at index build, from a shipped domain-neutral set of off-topic messages."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from index.decide import NOT_IN_PLAY
from index.intent import content_request
from index.normalize import is_blank, normalize

if TYPE_CHECKING:
    from index.engine import Engine
    from index.vectors import EmbeddingCache


OFFTOPIC_FILES = {"zh": "data/offtopic.txt", "en": "data/offtopic-en.txt"}


@cache
def offtopic_messages(language: str = "zh") -> tuple[str, ...]:
    """The shipped off-topic/chit-chat messages in a language (index/data/offtopic*.txt)."""
    text = resources.files("index").joinpath(OFFTOPIC_FILES[language]).read_text(encoding="utf-8")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


def calibration_fingerprint() -> str:
    """A digest of the shipped off-topic sets: a saved index calibrated on other sets is rebuilt."""
    both = "\n\n".join("\n".join(offtopic_messages(lang)) for lang in OFFTOPIC_FILES)
    return hashlib.sha256(both.encode("utf-8")).hexdigest()[:16]


def negative_features(engine: Engine, cache: EmbeddingCache, language: str = "zh") -> dict[str, list[float]]:
    """How each off-topic message in a language scores against this KB: FAQ top-1, top-2, keyword coverage
    and the top entry's lead on question-and-answer similarity, the top item score, and whether it was phrased
    as a content request (1.0) or not (0.0)."""
    keys = ("faq_top", "faq_second", "faq_cov", "faq_qa_lead", "item_top", "is_request")
    out: dict[str, list[float]] = {k: [] for k in keys}
    norms = [normalize(m) for m in offtopic_messages(language)]
    norms = [n for n in norms if not is_blank(n)]     # pleasantries stay: the gates were set with them in
    topics, is_req = [], []
    for n in norms:
        req = content_request(n)
        topics.append(req.topic if req.explicit and req.topic else n)
        is_req.append(req.explicit and bool(req.topic))
    qv = cache.encode(norms, "query", f"calibration ({language})")
    tv = cache.encode(topics, "query", f"calibration topics ({language})")
    for n, t, q, v, r in zip(norms, topics, qv, tv, is_req, strict=True):
        faq, _, cov, qa_lead = engine.faq_scores(n, q)
        # same conventions as decide(): a missing top-1/top-2 scores -1
        two = np.sort(faq)[-2:] if len(faq) > 1 else np.array([-1.0, float(faq.max()) if len(faq) else -1.0])
        items, _, _ = engine.item_scores(t, v, k=10)
        out["faq_top"].append(float(two[-1]))
        out["faq_second"].append(float(two[0]))
        out["faq_cov"].append(float(cov))
        out["faq_qa_lead"].append(qa_lead)
        out["item_top"].append(float(items[0][1]) if items else NOT_IN_PLAY)
        out["is_request"].append(1.0 if r else 0.0)
    return out
