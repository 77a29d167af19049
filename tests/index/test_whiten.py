"""Within-entry whitening: the directions an entry's phrasings vary in stop deciding the match."""

from __future__ import annotations

from typing import Any

import numpy as np

from index import Engine
from index.whiten import paraphrase_whitener, whitened


def unit(rows: list[list[float]]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def best_by_entry(phrasings: np.ndarray, owner: np.ndarray, query: np.ndarray) -> np.ndarray:
    sims = phrasings @ query
    return np.array([sims[owner == k].max() for k in range(owner.max() + 1)])


def test_a_message_worded_differently_from_every_phrasing_still_finds_its_entry() -> None:
    # axis 1 tells the entries apart; along axis 2 each entry's own phrasings differ (wording, register)
    phrasings = unit([[1, 0.3, 0.6, 0], [1, 0.3, -0.6, 0], [1, -0.3, 0.0, 0], [1, -0.3, 0.1, 0]])
    owner = np.array([0, 0, 1, 1])
    query = unit([[1, 0.1, -0.1, 0]])[0]      # entry 0 in content, worded like neither of its phrasings
    before = best_by_entry(phrasings, owner, query)
    assert before.argmax() == 1
    t = paraphrase_whitener(phrasings, owner, 2, 0.5)
    after = best_by_entry(whitened(phrasings, t), owner, whitened(query, t))
    assert after.argmax() == 0


def test_nothing_to_learn_leaves_the_vectors_alone() -> None:
    phrasings = unit([[1, 0, 0], [0, 1, 0]])
    assert paraphrase_whitener(phrasings, np.array([0, 1]), 2, 0.1) is None   # one phrasing per entry
    assert paraphrase_whitener(phrasings, np.array([0, 0]), 1, 0.0) is None   # switched off
    assert whitened(phrasings, None) is phrasings


def test_the_shipped_kb_pulls_each_entrys_phrasings_together(deps: Any) -> None:
    engine: Engine = deps.knowledge.engine
    assert engine.faq_transform is not None

    def within_minus_between(vecs: np.ndarray) -> float:
        sims = vecs @ vecs.T
        same = engine.phr_owner[:, None] == engine.phr_owner[None, :]
        np.fill_diagonal(same, False)
        other = engine.phr_owner[:, None] != engine.phr_owner[None, :]
        return float(sims[same].mean() - sims[other].mean())

    assert within_minus_between(engine.faq_views[0]) > within_minus_between(engine.phr_vecs)
