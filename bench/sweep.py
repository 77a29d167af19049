"""Compare answer settings across labelled KBs in one run: python bench/sweep.py KB_DIR... -V "faq_pct=90" ...

Each -V is one variant: comma-separated overrides of index.scoring.Weights or index.decide.Policy fields.
The shipped defaults always come first. Texts are encoded once per process, so a variant costs only its
calibration and scoring."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Engine, load_kb, make_encoder
from index.decide import Policy
from index.evaluate import Report, engine_respond, evaluate, load_queries, ndcg_at
from index.scoring import Weights

WEIGHT_FIELDS = {f.name for f in dataclasses.fields(Weights)}
POLICY_FIELDS = {f.name for f in dataclasses.fields(Policy)}


def parse_variant(spec: str) -> tuple[Weights, Policy]:
    """Weights and Policy from "name=value,name=value"."""
    w: dict[str, float] = {}
    p: dict[str, float] = {}
    for part in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = part.partition("=")
        if name in WEIGHT_FIELDS:
            w[name] = float(value)
        elif name in POLICY_FIELDS:
            p[name] = type(getattr(Policy(), name))(float(value))
        else:
            raise SystemExit(f"unknown setting {name!r}; known: {sorted(WEIGHT_FIELDS | POLICY_FIELDS)}")
    return Weights(**w), Policy(**p)


def run(kb_dir: str, weights: Weights, policy: Policy, encoder_name: str | None,
        queries: OrderedDict[str, object]) -> tuple[Report, float]:
    """One KB under one variant, and the nDCG@5 of its item ranking alone (every recommend query given
    its best items, whatever the decision); query vectors are shared across variants through `queries`."""
    kb = load_kb(kb_dir)
    folder = os.path.join(tempfile.gettempdir(), f"kb-sweep-{kb.fingerprint}-{abs(hash(weights)):x}")
    engine = Engine.build(kb, make_encoder(encoder_name), folder, weights=weights, policy=policy)
    engine._query_cache = queries
    recs = [q for q in load_queries(Path(kb_dir) / "queries.jsonl") if q.get("type") == "recommend"]
    ranking = sum(ndcg_at([i for i, _ in engine.search_items(q["q"])], q["relevant"]) for q in recs)
    return evaluate(kb_dir, None, engine_respond(engine)), ranking / max(len(recs), 1)


def main(argv: list[str] | None = None) -> int:
    """Print answered / out-of-scope / nDCG per KB and their means for every variant."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kb_dirs", nargs="+")
    ap.add_argument("-V", "--variant", action="append", default=[])
    ap.add_argument("--encoder", default=os.environ.get("EMBEDDING_MODEL"))
    args = ap.parse_args(argv)
    import index.engine

    index.engine.QUERY_CACHE_SIZE = 10**6
    caches: dict[str, OrderedDict[str, object]] = {k: OrderedDict() for k in args.kb_dirs}
    names = [Path(k).name for k in args.kb_dirs]
    print("variant".ljust(36) + "".join(n[:14].rjust(29) for n in names) + "mean".rjust(29))
    print(" " * 36 + "answered/oos/ndcg top1 rank".rjust(29) * (len(names) + 1))
    for spec in ["", *args.variant]:
        weights, policy = parse_variant(spec)
        cells, sums = [], [0.0] * 5
        for k in args.kb_dirs:
            rep, ranking = run(k, weights, policy, args.encoder, caches[k])
            vals = (rep.faq_answered_correctly, rep.oos_false_answer_rate, rep.rec_ndcg5, rep.faq_top1, ranking)
            sums = [a + b for a, b in zip(sums, vals, strict=True)]
            cells.append("{:.3f}/{:.3f}/{:.3f} {:.2f} {:.3f}".format(*vals))
        mean = "{:.3f}/{:.3f}/{:.3f} {:.2f} {:.3f}".format(*(s / len(args.kb_dirs) for s in sums))
        print((spec or "defaults")[:35].ljust(36) + "".join(c.rjust(29) for c in cells) + mean.rjust(29),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
