"""Finding an item by (part of) its title, tolerant of brackets, spacing and small differences."""

from __future__ import annotations

import re

from index.normalize import fold

_STRIP = re.compile(r"[\s《》「」『』\"“”'‘’:：,，。.!！?？()（）\-—_·]+")


def _key(text: str) -> str:
    return _STRIP.sub("", fold(text))


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} or {s}


class TitleMatcher:
    """Exact, prefix/contained, then fuzzy (bigram Dice) title lookup."""

    def __init__(self, titles: dict[str, str], min_dice: float = 0.6) -> None:
        self.keys = {iid: _key(t) for iid, t in titles.items()}
        self.ids = {iid.lower(): iid for iid in titles}
        self.min_dice = min_dice

    def find(self, text: str) -> str | None:
        """The id of the item the text names, or None."""
        raw = fold(text).strip()
        if raw in self.ids:
            return self.ids[raw]
        q = _key(text)
        if len(q) < 2:
            return None
        exact = [i for i, k in self.keys.items() if k == q]
        if exact:
            return exact[0]
        # the text is a distinctive part of exactly one title (e.g. the part before a colon)
        part = [i for i, k in self.keys.items() if len(q) >= 4 and q in k]
        if len(part) == 1:
            return part[0]
        qb = _bigrams(q)
        best, best_s = None, 0.0
        for i, k in self.keys.items():
            kb = _bigrams(k)
            s = 2 * len(qb & kb) / (len(qb) + len(kb))
            if s > best_s:
                best, best_s = i, s
        return best if best_s >= self.min_dice else None
