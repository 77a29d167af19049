"""Evaluate the answer engine on a labelled KB: python bench/eval.py KB_DIR [QUERIES] [--json] [-v].

With --synthetic FAQxITEMS (e.g. 1000x10000) the KB is first blown up to that size by cloning its
entries with numbered variations, to measure build time and answer latency at scale."""

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


def synthesize(src: Path, dest: Path, n_faq: int, n_items: int) -> Path:
    """A KB of n_faq entries and n_items items made by numbering copies of src's entries."""
    import yaml

    kb = load_kb(src)
    (dest / "faq").mkdir(parents=True, exist_ok=True)
    (dest / "articles").mkdir(parents=True, exist_ok=True)
    faqs = list(kb.faqs.values())
    rows = []
    for n in range(n_faq):
        f = faqs[n % len(faqs)]
        j = n // len(faqs)
        sfx = f"（{j}）" if j else ""
        rows.append({"id": f"{f.id}-{j}" if j else f.id, "question": f.question + sfx,
                     "similar": [p + sfx for p in f.similar], "answer": f.answer, "tags": f.tags})
    (dest / "faq" / "all.yaml").write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    items = list(kb.items.values())
    for n in range(n_items):
        it = items[n % len(items)]
        j = n // len(items)
        iid = f"{it.id}-{j}" if j else it.id
        title = f"{it.title}（第 {j} 辑）" if j else it.title
        (dest / "articles" / f"{iid}.md").write_text(
            f"---\nid: {iid}\ntitle: {json.dumps(title, ensure_ascii=False)}\nkind: {it.kind}\n"
            f"price: {it.price_fen / 100:.2f}\ntags: {json.dumps(it.tags, ensure_ascii=False)}\n"
            f"summary: {json.dumps(it.summary, ensure_ascii=False)}\nauthor: {it.author}\n"
            f"published: {it.published.isoformat()}\n---\n{it.preview_md}\n<!-- paywall -->\n{it.paid_md}\n",
            encoding="utf-8")
    return dest


def seed_clone_vectors(src: Path, dest: Path, encoder_name: str | None) -> None:
    """Give every numbered copy in a synthetic KB the vectors of the entry it was copied from, so the
    query path can be timed at scale without hours of encoding (latency does not depend on the values)."""
    from index.vectors import _MEMORY, EmbeddingCache

    enc = make_encoder(encoder_name)
    orig, synth = Engine(load_kb(src), enc), Engine(load_kb(dest), enc)
    cache = EmbeddingCache(Path(tempfile.gettempdir()) / "kb-clone-seed", enc)
    memory = _MEMORY.setdefault(enc.name, {})
    n_faq, n_items = len(orig.faq_ids), len(orig.item_ids)
    pairs = [("query", orig.phr_texts, synth.phr_texts, [int(o) for o in synth.phr_owner], orig.phr_owner),
             ("passage", orig.qa_texts, synth.qa_texts, list(range(len(synth.qa_texts))), None),
             ("passage", orig.item_texts, synth.item_texts, list(range(len(synth.item_texts))), None)]
    for role, src_texts, dst_texts, owners, src_owner in pairs:
        vecs = cache.encode(src_texts, role)
        if src_owner is not None:          # phrasings: k-th phrasing of a copy <- k-th of its original
            firsts = {int(o): i for i, o in reversed(list(enumerate(src_owner)))}
            seen: dict[int, int] = {}
            for t, owner in zip(dst_texts, owners, strict=True):
                k = seen.get(owner, 0)
                seen[owner] = k + 1
                memory[EmbeddingCache._key(role, t)] = vecs[firsts[owner % n_faq] + k]
        else:
            size = n_items if len(dst_texts) == len(synth.item_ids) else n_faq
            for i, t in enumerate(dst_texts):
                memory[EmbeddingCache._key(role, t)] = vecs[i % size]
    cache.save()


def hnsw_recall(n: int, kb_dir: str, encoder_name: str | None, seed: int = 0) -> dict:
    """Recall@5 of the HNSW item index against exact search on n vectors made from the KB's item vectors
    (random mixes of two items plus a little noise, normalised), queried with the KB's labelled queries."""
    import numpy as np

    from index.evaluate import load_queries
    from index.vectors import build_index

    kb = load_kb(kb_dir)
    enc = make_encoder(encoder_name)
    engine = Engine.build(kb, enc, os.path.join(tempfile.gettempdir(), f"kb-eval-{kb.fingerprint}"))
    base = engine.item_index.reconstruct_n(0, engine.item_index.ntotal)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
    w = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    vecs = w * base[a] + (1 - w) * base[b] + rng.normal(0, 0.005, (n, base.shape[1])).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    queries = enc.encode_queries([q["q"] for q in load_queries(Path(kb_dir) / "queries.jsonl")])
    t0 = time.perf_counter()
    flat = build_index(vecs, hnsw_from=10**12)
    t1 = time.perf_counter()
    hnsw = build_index(vecs, hnsw_from=1)
    t2 = time.perf_counter()
    _, exact = flat.search(queries, 5)
    t3 = time.perf_counter()
    out: dict = {"n": n, "flat_build_s": round(t1 - t0, 2), "hnsw_build_s": round(t2 - t1, 2),
                 "flat_ms_per_query": round((t3 - t2) * 1000 / len(queries), 3)}
    for ef in (128, hnsw.hnsw.efSearch, 1024):
        hnsw.hnsw.efSearch = ef
        t3 = time.perf_counter()
        _, approx = hnsw.search(queries, 5)
        t4 = time.perf_counter()
        recall = float(np.mean([len(set(a) & set(e)) / 5 for a, e in zip(approx, exact, strict=True)]))
        out[f"ef{ef}"] = {"recall_at_5": round(recall, 4), "ms_per_query": round((t4 - t3) * 1000 / len(queries), 3)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the index for KB_DIR, run its labelled queries and print the report."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kb_dir")
    ap.add_argument("queries", nargs="?")
    ap.add_argument("--encoder", default=os.environ.get("EMBEDDING_MODEL"))
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    ap.add_argument("--synthetic", default=None, help="FAQxITEMS, e.g. 1000x10000")
    ap.add_argument("--clone-vectors", action="store_true",
                    help="with --synthetic: reuse the source entries' vectors for their copies (latency only)")
    ap.add_argument("--hnsw-recall", type=int, default=0, metavar="N",
                    help="only measure HNSW recall@5 against flat search on N item vectors")
    args = ap.parse_args(argv)
    if args.hnsw_recall:
        print(json.dumps(hnsw_recall(args.hnsw_recall, args.kb_dir, args.encoder)))
        return 0
    if args.synthetic:
        n_faq, n_items = (int(x) for x in args.synthetic.lower().split("x"))
        queries = args.queries or str(Path(args.kb_dir) / "queries.jsonl")
        dest = Path(tempfile.gettempdir()) / f"kb-synthetic-{n_faq}x{n_items}"
        if not dest.is_dir():
            synthesize(Path(args.kb_dir), dest, n_faq, n_items)
        if args.clone_vectors:
            seed_clone_vectors(Path(args.kb_dir), dest, args.encoder)
        args.kb_dir, args.queries = str(dest), queries
    kb = load_kb(args.kb_dir)
    enc = make_encoder(args.encoder)
    index_dir = args.index_dir or os.path.join(tempfile.gettempdir(), f"kb-eval-{kb.fingerprint}")
    t0 = time.perf_counter()
    engine = Engine.build(kb, enc, index_dir)
    build_s = time.perf_counter() - t0
    rep = evaluate(args.kb_dir, args.queries, engine_respond(engine))
    try:
        import resource

        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:  # pragma: no cover - not on Linux
        rss_mb = 0.0
    if args.json:
        print(json.dumps({**rep.as_dict(), "kb": args.kb_dir, "encoder": enc.name, "build_s": round(build_s, 2),
                          "max_rss_mb": round(rss_mb)}, ensure_ascii=False))
    else:
        print(f"KB {args.kb_dir}: {len(kb.faqs)} FAQ, {len(kb.items)} items; encoder {enc.name}; "
              f"index ready in {build_s:.1f}s; peak RSS {rss_mb:.0f} MB")
        print("\n".join(rep.lines()))
    if args.verbose:
        for f in rep.failures:
            print(json.dumps(f, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
