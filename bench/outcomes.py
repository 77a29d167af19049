"""Per-query outcomes on labelled KBs, and what changed between two runs.

    python bench/outcomes.py snap OUT.json KB_DIR...
    python bench/outcomes.py diff BEFORE.json AFTER.json [--held-out finance,pets,...]

`snap` sends every labelled query through `Engine.understand` with the shipped defaults and saves, per query,
what the labels judge of the reply (index.evaluate.Outcome) and the decision's scores. `diff` prints answered /
out-of-scope / nDCG@5 per KB for both runs and the means over the held-out KBs and the rest, then the queries
whose outcome changed, for the KBs not held out only: a held-out KB is read as aggregate figures, never
query by query."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Engine, load_kb, make_encoder
from index.evaluate import Outcome, load_queries, ndcg_at, outcome_of


def snap(out: Path, kb_dirs: list[str]) -> None:
    """Save every query's outcome on each KB (indexes are kept in the temp folder between runs)."""
    encoder = make_encoder(None)
    result: dict[str, list[dict[str, Any]]] = {}
    for kb_dir in kb_dirs:
        kb = load_kb(kb_dir)
        engine = Engine.build(kb, encoder, Path(tempfile.gettempdir()) / f"kb-outcomes-{kb.fingerprint}")
        rows = []
        for q in load_queries(Path(kb_dir) / "queries.jsonl"):
            u = engine.understand(q["q"])
            reply = outcome_of(u)
            rows.append({**q, "outcome": dataclasses.asdict(reply),
                         "ndcg": ndcg_at(reply.item_ids, q.get("relevant", {})),
                         "scores": {k: round(v, 4) for k, v in u.scores.items()}})
        result[Path(kb_dir).name] = rows
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def figures(rows: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Answered correctly, out-of-scope false answers and nDCG@5, judged as index.evaluate judges them."""
    faq = [r for r in rows if r["type"] == "faq"]
    none = [r for r in rows if r["type"] == "none"]
    rec = [r for r in rows if r["type"] == "recommend"]
    return (sum(Outcome(**r["outcome"]).answers(r["expect"]) for r in faq) / max(len(faq), 1),
            sum(Outcome(**r["outcome"]).speaks() for r in none) / max(len(none), 1),
            sum(r["ndcg"] for r in rec) / max(len(rec), 1))


def outcome(row: dict[str, Any]) -> str:
    """One query's outcome in a word, for listing what changed."""
    out = Outcome(**row["outcome"])
    if row["type"] == "faq":
        first = out.faq_id or (out.candidates[:1] or [None])[0]
        return "right" if out.answers(row["expect"]) else f"{out.kind}:{first}"
    if row["type"] == "none":
        return "answered" if out.speaks() else "quiet"
    return f"ndcg {row['ndcg']:.2f}"


def diff(before: Path, after: Path, held_out: set[str]) -> None:
    """Print both runs' figures per KB, their means by group, and the changed outcomes of tuning KBs."""
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    fmt = "{:.3f} / {:.3f} / {:.3f}".format
    groups: dict[str, list[tuple[tuple[float, ...], tuple[float, ...]]]] = {"held out": [], "tuning": []}
    for kb in a:
        fa, fb = figures(a[kb]), figures(b[kb])
        groups["held out" if kb in held_out else "tuning"].append((fa, fb))
        print(f"{kb:14s} {fmt(*fa)}  ->  {fmt(*fb)}")
    for name, pairs in groups.items():
        if pairs:
            mean = [[sum(p[side][j] for p in pairs) / len(pairs) for j in range(3)] for side in (0, 1)]
            print(f"{'mean ' + name:14s} {fmt(*mean[0])}  ->  {fmt(*mean[1])}")
    for kb in (k for k in a if k not in held_out):
        for ra, rb in zip(a[kb], b[kb], strict=True):
            if outcome(ra) != outcome(rb):
                print(f"  {kb:12s} {ra['type']:9s} {outcome(ra):>28s} -> {outcome(rb):<28s} {ra['q']}")


def main(argv: list[str] | None = None) -> int:
    """Run `snap` or `diff`."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("snap")
    s.add_argument("out", type=Path)
    s.add_argument("kb_dirs", nargs="+")
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    d.add_argument("--held-out", default="", help="comma-separated KB folder names shown as figures only")
    args = ap.parse_args(argv)
    if args.command == "snap":
        snap(args.out, args.kb_dirs)
    else:
        diff(args.before, args.after, {n for n in args.held_out.split(",") if n})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
