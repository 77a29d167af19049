"""Pure personalisation math: decayed tag profiles, item-to-item CF, popularity, and the blend.

The caller reads rows from its database and passes plain lists/dicts; nothing here does I/O.
Timestamps are seconds (e.g. ``time.time()``); event kinds are "asked", "opened", "bought".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EVENT_WEIGHTS: dict[str, float] = {"asked": 1.0, "opened": 2.0, "bought": 4.0}
INTERACTION_WEIGHTS: dict[str, float] = {"opened": 1.0, "bought": 3.0}
DAY = 86400.0


def decay(age_seconds: float, half_life_days: float) -> float:
    """Exponential decay factor for an event of the given age (1.0 now, 0.5 after one half-life)."""
    return 0.5 ** (max(age_seconds, 0.0) / (half_life_days * DAY))


def tag_profile(events: Iterable[tuple[str, Iterable[str], float]], now: float,
                half_life_days: float = 30.0, weights: Mapping[str, float] = EVENT_WEIGHTS) -> dict[str, float]:
    """A subscriber's interests: events (kind, tags, timestamp) -> {tag: weight}, weights summing to 1.

    Each event adds weights[kind] * decay(age) spread evenly over its tags; unknown kinds count 0."""
    acc: dict[str, float] = defaultdict(float)
    for kind, tags, ts in events:
        tags = [t for t in tags if t]
        w = weights.get(kind, 0.0) * decay(now - ts, half_life_days)
        if not tags or w <= 0:
            continue
        for t in tags:
            acc[t] += w / len(tags)
    total = sum(acc.values())
    return {t: v / total for t, v in acc.items()} if total > 0 else {}


def affinity(profile: Mapping[str, float], item_tags: Mapping[str, Iterable[str]]) -> dict[str, float]:
    """How well each item's tags match a profile: {item_id: sum of its tags' weights / sqrt(#tags)}."""
    out: dict[str, float] = {}
    for iid, tags in item_tags.items():
        tags = list(tags)
        if tags and profile:
            out[iid] = sum(profile.get(t, 0.0) for t in tags) / math.sqrt(len(tags))
        else:
            out[iid] = 0.0
    return out


def item_similarity(interactions: Iterable[tuple[str, str, str]],
                    weights: Mapping[str, float] = INTERACTION_WEIGHTS) -> dict[str, dict[str, float]]:
    """Item-to-item cosine on the user x item matrix of co-views and co-purchases.

    interactions: (user_id, item_id, kind) rows; a user's cell is the largest weight of their rows.
    Returns {item: {other_item: cosine}} for items sharing at least one user."""
    cell: dict[str, dict[str, float]] = defaultdict(dict)
    for user, item, kind in interactions:
        w = weights.get(kind, 0.0)
        if w > 0:
            cell[user][item] = max(cell[user].get(item, 0.0), w)
    norm: dict[str, float] = defaultdict(float)
    dot: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in cell.values():
        for a, wa in row.items():
            norm[a] += wa * wa
            for b, wb in row.items():
                if a != b:
                    dot[a][b] += wa * wb
    return {a: {b: v / math.sqrt(norm[a] * norm[b]) for b, v in others.items()} for a, others in dot.items()}


def cf_scores(similarity: Mapping[str, Mapping[str, float]], user_items: Mapping[str, float]) -> dict[str, float]:
    """Items similar to what the user touched: {item: sum over the user's items of weight * cosine}."""
    out: dict[str, float] = defaultdict(float)
    for seen, w in user_items.items():
        for other, s in similarity.get(seen, {}).items():
            out[other] += w * s
    return dict(out)


def popularity(interactions: Iterable[tuple[str, str, float]], now: float, half_life_days: float = 14.0,
               weights: Mapping[str, float] = INTERACTION_WEIGHTS) -> dict[str, float]:
    """Recent popularity from (item_id, kind, timestamp) rows, scaled so the top item is 1.0."""
    acc: dict[str, float] = defaultdict(float)
    for item, kind, ts in interactions:
        acc[item] += weights.get(kind, 0.0) * decay(now - ts, half_life_days)
    top = max(acc.values(), default=0.0)
    return {i: v / top for i, v in acc.items()} if top > 0 else {}


@dataclass(frozen=True)
class BlendWeights:
    """Shares of each signal in the final order (each signal is min-max scaled first)."""

    relevance: float = 0.70
    profile: float = 0.15
    cf: float = 0.10
    popularity: float = 0.05


def _scaled(values: Mapping[str, float], keys: list[str]) -> dict[str, float]:
    vals = [values.get(k, 0.0) for k in keys]
    lo, hi = min(vals, default=0.0), max(vals, default=0.0)
    if hi - lo <= 1e-12:
        return {k: (1.0 if hi > 0 else 0.0) for k in keys}
    return {k: (values.get(k, 0.0) - lo) / (hi - lo) for k in keys}


def blend(relevance: list[tuple[str, float]] | None, all_items: Iterable[str],
          profile_affinity: Mapping[str, float] | None = None, cf: Mapping[str, float] | None = None,
          popular: Mapping[str, float] | None = None, bought: Iterable[str] = (), k: int = 5,
          weights: BlendWeights = BlendWeights()) -> list[tuple[str, float]]:
    """The items to offer, best first, never one the subscriber bought.

    relevance: ranked (item_id, score) for a topic request (from Understanding.items), or None for a
    bare request ("推荐点东西"), which ranks all_items by profile affinity and CF alone, and by
    popularity when the subscriber has no history (cold start)."""
    owned = set(bought)
    prof, cfs, pop = dict(profile_affinity or {}), dict(cf or {}), dict(popular or {})
    if relevance is not None:
        keys = [i for i, _ in relevance if i not in owned]
        if not keys:
            return []
        rel = _scaled(dict(relevance), keys)
        parts = [(weights.relevance, rel), (weights.profile, _scaled(prof, keys)),
                 (weights.cf, _scaled(cfs, keys)), (weights.popularity, _scaled(pop, keys))]
    else:
        keys = [i for i in all_items if i not in owned]
        history = any(v > 0 for v in prof.values()) or any(v > 0 for v in cfs.values())
        if history:
            parts = [(weights.profile, _scaled(prof, keys)), (weights.cf, _scaled(cfs, keys)),
                     (weights.popularity * 0.5, _scaled(pop, keys))]
        else:
            parts = [(1.0, _scaled(pop, keys))]
    order = {k2: n for n, k2 in enumerate(keys)}
    scored = [(i, sum(w * p.get(i, 0.0) for w, p in parts)) for i in keys]
    scored.sort(key=lambda p: (-p[1], order[p[0]]))
    return scored[:k]
