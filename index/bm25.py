"""Okapi BM25 over token lists, with an inverted index for fast scoring."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np


class BM25:
    """BM25 scores of a query against every document of a fixed corpus."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.n = len(docs)
        self.k1, self.b = k1, b
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avgdl = float(lengths.mean()) if self.n else 1.0
        norm = k1 * (1 - b + b * lengths / max(self.avgdl, 1e-9))
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings[term].append((i, tf * (k1 + 1) / (tf + norm[i])))
        self.idf: dict[str, float] = {}
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, plist in postings.items():
            df = len(plist)
            self.idf[term] = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            ids = np.fromiter((p[0] for p in plist), dtype=np.int64, count=df)
            ws = np.fromiter((p[1] for p in plist), dtype=np.float32, count=df)
            self.postings[term] = (ids, ws)

    def scores(self, query: list[str]) -> np.ndarray:
        """Score of each document for the query tokens (zeros when nothing matches)."""
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(query):
            hit = self.postings.get(term)
            if hit is not None:
                out[hit[0]] += self.idf[term] * hit[1]
        return out

    def max_score(self, query: list[str]) -> float:
        """Upper bound of any document's score for the query: the sum of the terms' idf * (k1+1)."""
        return sum(self.idf.get(t, 0.0) for t in set(query)) * (self.k1 + 1)

    def known(self, term: str) -> bool:
        """Whether the term occurs anywhere in the corpus."""
        return term in self.idf
