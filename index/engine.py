"""The answer engine: builds (or reuses) the indexes of a KB and understands messages."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from index import calibrate, decide
from index.bm25 import BM25
from index.encoders import Encoder
from index.intent import (
    ELSEWHERE_RE,
    FACETS,
    FEATURES,
    OTHER_ORG_RE,
    SMALL_TALK_RE,
    ContentRequest,
    buy_target,
    content_request,
    features_of,
    kinds_of,
    purchase_wish,
)
from index.model import KnowledgeBase
from index.normalize import fold, is_contentless, is_english, normalize, plain, read_terms
from index.scoring import Weights, bm25_normalised, coverage, max_by_owner, soft_max_by_owner
from index.titles import TitleMatcher
from index.tokenize import kb_words, make_tokenizer, tokens
from index.vectors import EmbeddingCache, all_vectors, build_index, load_index, save_index, search
from index.vocabulary import catalogue_words, topic_coverage
from index.whiten import paraphrase_whitener, whitened

log = logging.getLogger(__name__)
_BLAS = ThreadpoolController()


def single_blas() -> Any:
    """Scoring one message is a few matrix-vector products: one BLAS thread is faster than several
    competing for two busy cores (measured 6 ms vs 17 ms on 11k x 896)."""
    return _BLAS.limit(limits=1, user_api="blas")


FORMAT_VERSION = 21
ONE_WORD_RE = re.compile(r"^[\u4e00-\u9fff]{2,4}$")   # a short run of Chinese characters, no question mark
ANSWER_HEAD = 160
PREVIEW_HEAD = 200
ITEM_CANDIDATES = 100
WORDS_FILE = "catalogue-words.json"
QUERY_CACHE_SIZE = 4096
# The meaning and the words of a message agree on the catalogue when one of the WORDS_AGREE_TOP items nearest in
# meaning is among those its words match best (BM25 within WORDS_AGREE_TIE of the best).
WORDS_AGREE_TOP = 2
WORDS_AGREE_TIE = 0.9
QUERY_CHARS = 160      # a message is embedded by its start: encoder time grows with length (2,000 chars took 2 s)


@dataclass
class Understanding:
    """What a message wants, as decided by Engine.understand."""

    kind: str                       # "faq" | "clarify" | "recommend" | "buy" | "fallback"
    faq_id: str | None = None
    candidates: list[str] = field(default_factory=list)
    items: list[tuple[str, float]] = field(default_factory=list)   # for "faq": the related item, if any
    topic: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    debug: dict[str, Any] = field(default_factory=dict)


@dataclass
class Signals:
    """Scores of one message against the whole KB (before the decision)."""

    text: str
    faq: np.ndarray            # fused score per FAQ entry (engine.faq_ids order)
    faq_tokens: list[str]
    faq_cov: float
    faq_qa_lead: float         # the best entry's lead on question-and-answer similarity alone
    items: list[tuple[str, float]]
    item_cov: float
    item_words_agree: bool     # an item nearest in meaning is also one the message's words match best
    topic_cov: float = 1.0     # share of the content topic's words the catalogue's text uses (general idf)
    faq_bonus: np.ndarray | None = None   # added to `faq` for ranking the entries only (see Engine.rank_bonus)
    faq_vouched: np.ndarray | None = None  # entries of a kind the message is that vouches (see Engine.vouched)
    unanswerable: bool = False  # the message asks about an account feature the FAQ never mentions
    one_word: bool = False      # the message is a single word (「退款」, 「发票」): a topic, not yet a question
    english: bool = False       # written in English: judged against the gates of the English off-topic set
    asks_person: bool = False   # asks for a person rather than the bot (the "human" kind, index.intent.FACETS)
    elsewhere: bool = False     # names another organisation (index.intent.OTHER_ORG_RE)


def faq_passage(question: str, answer: str) -> str:
    """The text that stands for an entry as a whole: its question and the start of its answer."""
    return f"{question} {' '.join(answer.split())[:ANSWER_HEAD]}"


def answer_sentences(answer: str) -> list[str]:
    """The sentences of an answer long enough to say something on their own."""
    parts = re.split(r"[。\n；;！？!?]", answer)
    out = [p.strip(" -*：:，,0123456789.、") for p in parts]
    return [p for p in out if len(p) >= 6]


def item_passage(title: str, summary: str, tags: list[str], preview: str = "") -> str:
    """The text that stands for an item: title, tags, summary and the start of the free preview."""
    return f"{title}。{'、'.join(tags)}。{summary} {' '.join(preview.split())[:PREVIEW_HEAD]}".strip()


class Engine:
    """Indexes of one KB with one encoder; answers `understand(text)`."""

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, weights: Weights | None = None,
                 policy: decide.Policy | None = None) -> None:
        self.kb = kb
        self.encoder = encoder
        self.weights = weights or Weights()
        self.policy = policy or decide.POLICY
        self.tok = make_tokenizer(kb_words(kb))
        self.faq_ids = list(kb.faqs)
        self.item_ids = list(kb.items)
        faqs = [kb.faqs[i] for i in self.faq_ids]
        self.phr_texts: list[str] = []
        owner: list[int] = []
        for n, f in enumerate(faqs):
            for p in f.phrasings:
                self.phr_texts.append(normalize(p) or fold(p))
                owner.append(n)
        self.phr_owner = np.array(owner, dtype=np.int64)
        self.faq_facets = {f.name: self.phrased_as(f.phrasing.search) for f in FACETS}
        # what the entries are about, or what an answer speaks of as a question would; not what an answer
        # mentions in passing (「提供账号昵称或会员编号」)
        self.faq_features = {f.name for f in FEATURES if self.phrased_as(f.phrasing.search).any()
                             or any(f.message.search(fold(entry.answer)) for entry in faqs)}
        self.qa_texts = [fold(faq_passage(f.question, f.answer)) for f in faqs]
        self.sent_texts: list[str] = []
        sown: list[int] = []
        for n, f in enumerate(faqs):
            for s in answer_sentences(f.answer):
                self.sent_texts.append(fold(s))
                sown.append(n)
        self.sent_owner = np.array(sown, dtype=np.int64)
        self.faq_bm25 = BM25([
            tokens(self.tok, " ".join([*(fold(p) for p in f.phrasings), *(fold(t) for t in f.tags), fold(f.answer)]))
            for f in faqs
        ])
        items = [kb.items[i] for i in self.item_ids]
        self.item_texts = [fold(item_passage(i.title, i.summary, i.tags, i.preview_md)) for i in items]
        self.item_bm25 = BM25([
            tokens(self.tok, " ".join([fold(i.title), *(fold(t) for t in i.tags), fold(i.title),
                                       *(fold(t) for t in i.tags), fold(i.summary)]))
            for i in items
        ])
        self.titles = TitleMatcher({i.id: i.title for i in items})
        self.phr_vecs = np.zeros((0, encoder.dim), dtype=np.float32)
        self.qa_vecs = np.zeros((0, encoder.dim), dtype=np.float32)
        self.sent_vecs = np.zeros((0, encoder.dim), dtype=np.float32)
        self.item_index = build_index(np.zeros((0, encoder.dim), dtype=np.float32))
        self.catalogue_words: set[str] = set()
        self.faq_transform: np.ndarray | None = None
        self.faq_views = (self.phr_vecs, self.qa_vecs, self.sent_vecs)   # as scored: phrasing, QA, sentences
        # per language of the off-topic sets (calibrate.OFFTOPIC_FILES): how they score, and the gates from that
        self.negatives: dict[str, dict[str, list[float]]] = {}
        self.gates: dict[str, dict[str, float]] = {}
        self._encode_lock = threading.Lock()   # native encoders are not documented as thread-safe
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors of the texts' first QUERY_CHARS characters, one encoder call at a time; recent heads
        come from a small LRU cache."""
        heads = [t[:QUERY_CHARS] for t in texts]
        with self._encode_lock:
            missing = [h for h in dict.fromkeys(heads) if h not in self._query_cache]
            if missing:
                for head, vec in zip(missing, self.encoder.encode_queries(missing), strict=True):
                    self._query_cache[head] = vec
            for head in heads:
                self._query_cache.move_to_end(head)
            while len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
            return np.stack([self._query_cache[h] for h in heads])

    # building ----------------------------------------------------------------
    @classmethod
    def build(cls, kb: KnowledgeBase, encoder: Encoder, index_dir: str | Path,
              weights: Weights | None = None, policy: decide.Policy | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> Engine:
        """Reuse the saved index in index_dir when KB fingerprint and encoder match, else build and save.

        progress(stage, done, total), if given, reports embedding progress (e.g. to drive a progress bar);
        only texts not already in the embedding cache are encoded."""
        t0 = time.perf_counter()
        eng = cls(kb, encoder, weights, policy)
        folder = Path(index_dir)
        folder.mkdir(parents=True, exist_ok=True)
        meta_path = folder / "meta.json"
        calibration = calibrate.calibration_fingerprint()
        meta = {}
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                meta = {}
        same = (meta.get("fingerprint") == kb.fingerprint and meta.get("encoder") == encoder.name
                and meta.get("version") == FORMAT_VERSION and meta.get("weights") == eng.weights.__dict__
                and meta.get("calibration") == calibration)
        if same and all((folder / n).is_file() for n in ("faq.faiss", "qa.faiss", "sent.faiss", "items.faiss")):
            try:
                eng.phr_vecs = all_vectors(load_index(folder / "faq.faiss"))
                eng.qa_vecs = all_vectors(load_index(folder / "qa.faiss"))
                eng.sent_vecs = all_vectors(load_index(folder / "sent.faiss"))
                eng.item_index = load_index(folder / "items.faiss")
                eng.catalogue_words = set(json.loads((folder / WORDS_FILE).read_text(encoding="utf-8")))
                eng.prepare_faq_views()
                eng.negatives = {lang: {k: [float(x) for x in v] for k, v in meta["negatives"][lang].items()}
                                 for lang in calibrate.OFFTOPIC_FILES}
                eng.gates = {lang: decide.thresholds(n, eng.policy) for lang, n in eng.negatives.items()}
                if len(eng.phr_vecs) == len(eng.phr_texts) and eng.item_index.ntotal == len(eng.item_ids):
                    log.info("index reused from %s in %.2fs", folder, time.perf_counter() - t0)
                    return eng
            except Exception:  # noqa: BLE001 - a damaged index is simply rebuilt
                log.warning("saved index in %s unreadable; rebuilding", folder)
        cache = EmbeddingCache(folder, encoder, progress)
        eng.phr_vecs = cache.encode(eng.phr_texts, "query", "faq phrasings")
        eng.qa_vecs = cache.encode(eng.qa_texts, "passage", "faq answers")
        eng.sent_vecs = cache.encode(eng.sent_texts, "passage", "faq answer sentences")
        eng.item_index = build_index(cache.encode(eng.item_texts, "passage", "items"))
        eng.catalogue_words = catalogue_words(eng.tok, kb.items.values())
        eng.prepare_faq_views()
        eng.negatives = {lang: calibrate.negative_features(eng, cache, lang) for lang in calibrate.OFFTOPIC_FILES}
        eng.gates = {lang: decide.thresholds(n, eng.policy) for lang, n in eng.negatives.items()}
        cache.save()
        save_index(build_index(eng.phr_vecs, hnsw_from=10**12), folder / "faq.faiss")
        save_index(build_index(eng.qa_vecs, hnsw_from=10**12), folder / "qa.faiss")
        save_index(build_index(eng.sent_vecs, hnsw_from=10**12), folder / "sent.faiss")
        save_index(eng.item_index, folder / "items.faiss")
        (folder / WORDS_FILE).write_text(json.dumps(sorted(eng.catalogue_words), ensure_ascii=False),
                                         encoding="utf-8")
        tmp = meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "fingerprint": kb.fingerprint, "encoder": encoder.name, "version": FORMAT_VERSION,
            "calibration": calibration,
            "weights": eng.weights.__dict__, "gates": eng.gates, "negatives": eng.negatives, "faqs": len(eng.faq_ids),
            "items": len(eng.item_ids), "built_at": time.time(),
        }, ensure_ascii=False, indent=1))
        tmp.replace(meta_path)
        log.info("index built in %s in %.2fs", folder, time.perf_counter() - t0)
        return eng

    def prepare_faq_views(self) -> None:
        """Learn the paraphrase whitening from the entries' phrasings and apply it to every FAQ view."""
        self.faq_transform = paraphrase_whitener(self.phr_vecs, self.phr_owner, len(self.faq_ids),
                                                 self.weights.paraphrase_shrink)
        t = self.faq_transform
        self.faq_views = (whitened(self.phr_vecs, t), whitened(self.qa_vecs, t), whitened(self.sent_vecs, t))

    # scoring -----------------------------------------------------------------
    def faq_scores(self, text: str, qvec: np.ndarray) -> tuple[np.ndarray, list[str], float, float]:
        """Fused score of every FAQ entry for a normalised text and its query vector, the text's keyword
        coverage, and how far the best entry leads the others on question-and-answer similarity alone
        (negative when another entry leads there: the views disagree)."""
        w = self.weights
        n = len(self.faq_ids)
        if n == 0:
            return np.zeros(0, dtype=np.float32), [], 0.0, 0.0
        phr_vecs, qa_vecs, sent_vecs = self.faq_views
        qvec = whitened(qvec, self.faq_transform)
        phr = soft_max_by_owner(phr_vecs @ qvec, self.phr_owner, n, w.phrasing_temp)
        qa = qa_vecs @ qvec
        sent = max_by_owner(sent_vecs @ qvec, self.sent_owner, n) if len(sent_vecs) else qa
        toks = tokens(self.tok, text)
        fused = w.phrasing * phr + w.qa * qa + w.sentence * sent
        if w.faq_bm25:
            fused = fused + w.faq_bm25 * bm25_normalised(self.faq_bm25, toks)
        best = int(np.argmax(fused))
        qa_lead = float(qa[best] - np.delete(qa, best).max()) if n > 1 else 0.0
        return fused / w.faq_total, toks, coverage(self.faq_bm25, toks), qa_lead

    def phrased_as(self, kind: Callable[[str], object]) -> np.ndarray:
        """1.0 for each entry with a (normalised) phrasing of that kind, else 0.0."""
        out = np.zeros(len(self.faq_ids), dtype=np.float32)
        for text, owner in zip(self.phr_texts, self.phr_owner, strict=True):
            if kind(text):
                out[owner] = 1.0
        return out

    def rank_bonus(self, kinds: list[str]) -> np.ndarray | None:
        """What entries gain in the ranking (not in confidence) for the kinds of account question a message is
        (index.intent.kinds_of): entries phrased as a refusal for one about a refusal, entries asking where for
        one asking where, and so on. Such words make an entry likelier to be the right one, not the message
        likelier to be in scope."""
        if not (kinds and self.weights.facet):
            return None
        bonus = self.weights.facet * sum(self.faq_facets[name] for name in kinds)
        return bonus if bonus.any() else None

    def vouched(self, text: str, kinds: list[str]) -> np.ndarray | None:
        """1.0 for each entry phrased as a kind the message is (`kinds`, from index.intent.kinds_of), of the
        kinds whose words name an account matter only (index.intent.FACETS, `vouches`); None when the message
        is of no such kind, or is about another company's service (index.intent.ELSEWHERE_RE)."""
        if not kinds or ELSEWHERE_RE.search(text):
            return None
        flags = [self.faq_facets[f.name] for f in FACETS if f.vouches and f.name in kinds]
        return np.maximum.reduce(flags) if flags else None

    def item_scores(self, text: str, qvec: np.ndarray, k: int = ITEM_CANDIDATES) -> tuple[
            list[tuple[str, float]], float, bool]:
        """Items by fused score for a topic text (best first), the topic's coverage, and whether one of the
        items nearest in meaning is also one its words match best (BM25; see WORDS_AGREE_TOP)."""
        if not self.item_ids:
            return [], 0.0, False
        kk = min(k, len(self.item_ids))
        sims, idx = search(self.item_index, qvec, kk)
        toks = tokens(self.tok, text)
        bm = bm25_normalised(self.item_bm25, toks)
        fused: dict[int, float] = {}
        for s, i in zip(sims[0], idx[0], strict=True):
            if i >= 0:
                fused[int(i)] = float(s) + self.weights.item_bm25 * float(bm[i])
        if bm.any():
            floor = float(sims[0][-1])
            for i in np.argsort(-bm)[:kk]:
                if bm[i] > 0 and int(i) not in fused:
                    fused[int(i)] = floor + self.weights.item_bm25 * float(bm[i])
        ranked = self.near_the_best(sorted(fused.items(), key=lambda p: -p[1]))
        agree = bool(bm.any()) and bool(np.isin(idx[0][:WORDS_AGREE_TOP],
                                                 np.nonzero(bm >= WORDS_AGREE_TIE * bm.max())[0]).any())
        return [(self.item_ids[i], s) for i, s in ranked], coverage(self.item_bm25, toks), agree

    def near_the_best(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Re-rank candidates by closeness to the best one (pseudo-relevance feedback): an item scores
        weight * (cosine to the best - 1) less, so the best keeps its score and the gate is unchanged,
        while the course that covers the best article's topic climbs above a stray keyword match."""
        w = self.weights.item_neighbour
        if w <= 0 or len(ranked) < 2:
            return ranked
        vecs = self.item_index.reconstruct_batch(np.fromiter((i for i, _ in ranked), dtype=np.int64))
        near = vecs @ vecs[0]
        moved = [(i, s + w * (float(c) - 1.0)) for (i, s), c in zip(ranked, near, strict=True)]
        return sorted(moved, key=lambda p: -p[1])

    def signals(self, text: str, topic: str | None = None, english: bool = False) -> Signals:
        """Every score the decision looks at, for a normalised text (and its content topic), written in English
        or not."""
        texts = [text] if topic is None or topic == text else [text, topic]
        vecs = self.encode_queries(texts)
        faq, ftoks, fcov, qa_lead = self.faq_scores(text, vecs[0])
        items, icov, agree = self.item_scores(texts[-1], vecs[-1])
        tcov = topic_coverage(self.catalogue_words, tokens(self.tok, topic)) if topic else 1.0
        unanswerable = any(f.name not in self.faq_features for f in features_of(text))
        kinds = kinds_of(text)
        one_word = bool(ONE_WORD_RE.match(text)) and len(self.tok.lcut(text)) == 1
        return Signals(text, faq, ftoks, fcov, qa_lead, items, icov, agree, tcov, self.rank_bonus(kinds),
                       self.vouched(text, kinds), unanswerable, one_word, english, "human" in kinds,
                       bool(OTHER_ORG_RE.search(text)))

    # public API ----------------------------------------------------------------
    def understand(self, text: str) -> Understanding:
        """Decide what a subscriber's text message wants."""
        t0 = time.perf_counter()
        written = plain(text)
        norm = read_terms(written)
        if is_contentless(norm):
            return Understanding("fallback", debug={"norm": norm, "why": "empty"})
        if SMALL_TALK_RE.match(norm):
            return Understanding("fallback", debug={"norm": norm, "why": "small talk"})
        target = buy_target(written)    # a title or id is named as written: 「买 vip-guide」
        if target:
            hit = self.find_item_by_title(target)
            if hit:
                return Understanding("buy", items=[(hit, 1.0)], topic=target, debug={"norm": norm})
        req = content_request(norm)
        if req.explicit and not req.topic:
            return Understanding("recommend", items=[], topic="", debug={"norm": norm, "why": "bare request"})
        wish = purchase_wish(norm) if target and not req.explicit else None
        with single_blas():   # a wish to buy by topic (「买 sql 课」) is a request for it
            out = self.decided(norm, wish or req, is_english(written))
        out.debug.setdefault("norm", norm)
        out.debug["ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return out

    def decided(self, norm: str, req: ContentRequest, english: bool = False) -> Understanding:
        """The decision on a normalised message, read as `req` says (its topic scores the items)."""
        sig = self.signals(norm, req.topic if req.explicit else None, english)
        out = decide.decide(self, sig, req)
        out.debug["items"] = [(i, round(s, 4)) for i, s in sig.items[:5]]
        return out

    def search_items(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """Items for a topic text, best first (no gate)."""
        norm = normalize(text)
        req = content_request(norm)
        topic = req.topic if req.explicit and req.topic else norm
        if not topic:
            return []
        with single_blas():
            items, _, _ = self.item_scores(topic, self.encode_queries([topic])[0])
        return items[:k]

    def find_item_by_title(self, text: str) -> str | None:
        """The item whose title (or id) the text names, for '买/购买 <title>'."""
        return self.titles.find(text)
