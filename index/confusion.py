"""FAQ entries a subscriber's question may not tell apart: phrasings of different entries that embed alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from index.engine import Engine

NEAR = 0.92     # phrasing cosine from which two entries are reported (devkb's known sibling pairs sit at 0.91-0.95)


@dataclass(frozen=True)
class Confusable:
    """Two entries whose closest phrasings look alike to the encoder."""

    first: str
    second: str
    first_phrasing: str
    second_phrasing: str
    similarity: float

    def line(self) -> str:
        """One line for an editor."""
        return (f"{self.first} ~ {self.second} ({self.similarity:.2f}): 「{self.first_phrasing}」 / "
                f"「{self.second_phrasing}」")


def confusable(engine: Engine, near: float = NEAR, limit: int = 20) -> list[Confusable]:
    """Pairs of FAQ entries with phrasings at least `near` alike, most alike first (one line per pair)."""
    vecs, owner = engine.phr_vecs, engine.phr_owner
    if len(vecs) < 2:
        return []
    sims = vecs @ vecs.T
    sims[owner[:, None] == owner[None, :]] = -1.0
    best: dict[tuple[int, int], tuple[float, int, int]] = {}
    for i, j in zip(*np.nonzero(sims >= near), strict=True):
        a, b = int(owner[i]), int(owner[j])
        if a < b and float(sims[i, j]) > best.get((a, b), (-1.0, 0, 0))[0]:
            best[(a, b)] = (float(sims[i, j]), int(i), int(j))
    pairs = sorted(best.items(), key=lambda p: -p[1][0])[:limit]
    phrasings = [p for f in (engine.kb.faqs[i] for i in engine.faq_ids) for p in f.phrasings]
    return [Confusable(engine.faq_ids[a], engine.faq_ids[b], phrasings[i], phrasings[j], s)
            for (a, b), (s, i, j) in pairs]
