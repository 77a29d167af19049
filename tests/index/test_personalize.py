"""Pure personalisation: decayed profiles, item CF, popularity, blend."""

from __future__ import annotations

import pytest

from index.personalize import DAY, affinity, blend, cf_scores, item_similarity, popularity, tag_profile

NOW = 1_000 * DAY


def test_profile_weights_kinds_and_decay() -> None:
    prof = tag_profile([("asked", ["sql"], NOW), ("bought", ["python"], NOW)], NOW)
    assert prof["python"] == pytest.approx(0.8) and prof["sql"] == pytest.approx(0.2)
    old = tag_profile([("bought", ["python"], NOW - 60 * DAY), ("asked", ["sql"], NOW)], NOW, half_life_days=30)
    assert old["python"] == pytest.approx(old["sql"])      # 4 * 0.25 == 1
    assert tag_profile([], NOW) == {}


def test_affinity_prefers_matching_tags() -> None:
    aff = affinity({"sql": 1.0}, {"a": ["sql", "数据"], "b": ["python"]})
    assert aff["a"] > aff["b"] == 0


def test_item_cf_cosine() -> None:
    rows = [("u1", "a", "bought"), ("u1", "b", "bought"), ("u2", "a", "opened"), ("u2", "b", "opened"),
            ("u3", "c", "bought")]
    sim = item_similarity(rows)
    assert sim["a"]["b"] == pytest.approx(1.0)
    assert "c" not in sim.get("a", {})
    assert cf_scores(sim, {"a": 1.0}) == {"b": pytest.approx(1.0)}


def test_popularity_scaled() -> None:
    pop = popularity([("a", "bought", NOW), ("b", "opened", NOW), ("b", "opened", NOW - 100 * DAY)], NOW)
    assert pop["a"] == 1.0 and 0 < pop["b"] < 1


def test_blend_excludes_bought_and_uses_relevance() -> None:
    rel = [("a", 0.9), ("b", 0.8), ("c", 0.5)]
    out = blend(rel, ["a", "b", "c"], profile_affinity={"c": 1.0}, bought=["a"])
    assert [i for i, _ in out] == ["b", "c"]


def test_bare_request_uses_profile_then_popularity() -> None:
    items = ["a", "b", "c"]
    cold = blend(None, items, popular={"c": 1.0, "b": 0.5})
    assert [i for i, _ in cold][:2] == ["c", "b"]
    warm = blend(None, items, profile_affinity={"a": 1.0}, popular={"c": 1.0})
    assert warm[0][0] == "a"
    assert blend(None, items, profile_affinity={"a": 1.0}, bought=["a"])[0][0] != "a"
