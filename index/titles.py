"""Finding an item by (part of) its title, tolerant of brackets, spacing and small differences."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from index.normalize import fold

_STRIP = re.compile(r"[\s《》「」『』\"“”'‘’:：,，。.!！?？()（）\-—_·]+")


def _key(text: str) -> str:
    return _STRIP.sub("", fold(text))


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} or {s}


class TitleMatcher:
    """Exact, prefix/contained, then fuzzy (bigram Dice) title lookup.

    Title keys and their bigrams are computed once, with an inverted index from bigram to titles, so a
    lookup touches only the titles that share a bigram with the text (a full scan of 10,000 titles took
    ~50 ms per message)."""

    def __init__(self, titles: dict[str, str], min_dice: float = 0.6) -> None:
        self.keys = {iid: _key(t) for iid, t in titles.items()}
        self.by_key: dict[str, str] = {}
        for iid, k in self.keys.items():
            self.by_key.setdefault(k, iid)
        self.ids = {iid.lower(): iid for iid in titles}
        self.order = {iid: n for n, iid in enumerate(titles)}
        self.min_dice = min_dice
        self.sizes: dict[str, int] = {}
        self.postings: dict[str, list[str]] = defaultdict(list)
        for iid, k in self.keys.items():
            grams = _bigrams(k)
            self.sizes[iid] = len(grams)
            for g in grams:
                self.postings[g].append(iid)

    def find(self, text: str) -> str | None:
        """The id of the item the text names, or None."""
        raw = fold(text).strip()
        if raw in self.ids:
            return self.ids[raw]
        q = _key(text)
        if len(q) < 2:
            return None
        if q in self.by_key:
            return self.by_key[q]
        qb = _bigrams(q)
        shared = Counter(iid for g in qb for iid in self.postings.get(g, ()))
        # the text is a distinctive part of exactly one title (e.g. the part before a colon)
        if len(q) >= 4:
            part = [i for i, n in shared.items() if n == len(qb) and q in self.keys[i]]
            if len(part) == 1:
                return part[0]
        best, best_s = None, 0.0
        for i in sorted(shared, key=self.order.__getitem__):     # ties go to the first title, as listed
            n = shared[i]
            s = 2 * n / (len(qb) + self.sizes[i])
            if s > best_s:
                best, best_s = i, s
        return best if best_s >= self.min_dice else None
