"""Evaluate the answer engine on a labelled KB: python bench/eval.py KB_DIR [QUERIES] [--json] [-v]."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import Engine, load_kb, make_encoder
from index.evaluate import engine_respond, evaluate


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the index for KB_DIR, run its labelled queries and print the report."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kb_dir")
    ap.add_argument("queries", nargs="?")
    ap.add_argument("--encoder", default=os.environ.get("EMBEDDING_MODEL"))
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    args = ap.parse_args(argv)
    kb = load_kb(args.kb_dir)
    enc = make_encoder(args.encoder)
    index_dir = args.index_dir or os.path.join(tempfile.gettempdir(), f"kb-eval-{kb.fingerprint}")
    t0 = time.perf_counter()
    engine = Engine.build(kb, enc, index_dir)
    build_s = time.perf_counter() - t0
    rep = evaluate(args.kb_dir, args.queries, engine_respond(engine))
    if args.json:
        print(json.dumps({**rep.as_dict(), "encoder": enc.name, "build_s": build_s}, ensure_ascii=False))
    else:
        print(f"KB {args.kb_dir}: {len(kb.faqs)} FAQ, {len(kb.items)} items; encoder {enc.name}; "
              f"index ready in {build_s:.1f}s")
        print("\n".join(rep.lines()))
    if args.verbose:
        for f in rep.failures:
            print(json.dumps(f, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
