"""Per-query outcomes on labelled KBs, and what changed between two runs.

    python bench/outcomes.py snap OUT.json KB_DIR...
    python bench/outcomes.py diff BEFORE.json AFTER.json [--held-out finance,pets,...]

`snap` sends every labelled query through `Engine.understand` with the shipped defaults and saves, per query,
the reply kind, the entry or items and the decision's scores. `diff` prints answered / out-of-scope / nDCG@5 per
KB for both runs and the means over the held-out KBs and the rest, then the queries whose outcome changed, for
the KBs not held out only: a held-out KB is read as aggregate figures, never query by query."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Engine, load_kb, make_encoder
from index.evaluate import load_queries, ndcg_at


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
            items = [i for i, _ in u.items][:5]
            rows.append({**q, "kind": u.kind, "faq": u.faq_id, "cands": u.candidates[:3], "items": items,
                         "ndcg": ndcg_at(items, q.get("relevant", {})),
                         "scores": {k: round(v, 4) for k, v in u.scores.items()}})
        result[Path(kb_dir).name] = rows
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def figures(rows: list[dict[str, Any]]) -> tuple[float, float, float]:
    """Answered correctly, out-of-scope false answers and nDCG@5, as `python -m bot eval` counts them."""
    faq = [r for r in rows if r["type"] == "faq"]
    none = [r for r in rows if r["type"] == "none"]
    rec = [r for r in rows if r["type"] == "recommend"]
    return (sum(r["kind"] == "faq" and r["faq"] == r["expect"] for r in faq) / max(len(faq), 1),
            sum(r["kind"] == "faq" or bool(r["items"]) for r in none) / max(len(none), 1),
            sum(r["ndcg"] for r in rec) / max(len(rec), 1))


def outcome(row: dict[str, Any]) -> str:
    """One query's outcome in a word, for listing what changed."""
    if row["type"] == "faq":
        return "right" if row["kind"] == "faq" and row["faq"] == row["expect"] else f"{row['kind']}:{row['faq']}"
    if row["type"] == "none":
        return "answered" if row["kind"] == "faq" or row["items"] else "quiet"
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
