"""FAISS inner-product indexes (flat, or HNSW for large sets) and an embedding cache by text hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from index.encoders import Encoder

HNSW_FROM = 100_000
EF_SEARCH = 512
_MEMORY: dict[str, dict[str, np.ndarray]] = {}   # per encoder name: vectors encoded in this process
_MEMORY_MAX = 200_000


def build_index(vecs: np.ndarray, hnsw_from: int = HNSW_FROM) -> faiss.Index:
    """Exact inner-product search for small sets; HNSW once the set reaches hnsw_from rows."""
    dim = vecs.shape[1]
    faiss.omp_set_num_threads(os.cpu_count() or 1)   # building is parallel; searching is not (see search)
    if len(vecs) >= hnsw_from:
        idx = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = 128
        idx.hnsw.efSearch = EF_SEARCH
    else:
        idx = faiss.IndexFlatIP(dim)
    if len(vecs):
        idx.add(np.ascontiguousarray(vecs, dtype=np.float32))
    return idx


def search(idx: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k inner products for one query row. Single-threaded: for one query, OpenMP threads cost far
    more than they save on a busy 2-core host (measured 30 ms vs 5 ms on 10k x 896)."""
    faiss.omp_set_num_threads(1)
    return idx.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)


def save_index(idx: faiss.Index, path: Path) -> None:
    """Write an index atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    faiss.write_index(idx, str(tmp))
    tmp.replace(path)


def load_index(path: Path) -> faiss.Index:
    """Read an index written by save_index."""
    idx = faiss.read_index(str(path))
    if isinstance(idx, faiss.IndexHNSW):
        idx.hnsw.efSearch = EF_SEARCH
    return idx


def all_vectors(idx: faiss.Index) -> np.ndarray:
    """Every stored vector of a flat or HNSW index, in insertion order."""
    if idx.ntotal == 0:
        return np.zeros((0, idx.d), dtype=np.float32)
    return idx.reconstruct_n(0, idx.ntotal)


class EmbeddingCache:
    """Vectors by (encoder, role, text) hash, persisted as one .npz file per encoder."""

    def __init__(self, folder: Path, encoder: Encoder,
                 progress: Callable[[str, int, int], None] | None = None) -> None:
        safe = hashlib.sha1(encoder.name.encode()).hexdigest()[:12]
        self.path = folder / f"embcache-{safe}.npz"
        self.encoder = encoder
        self.store: dict[str, np.ndarray] = {}
        self.memory = _MEMORY.setdefault(encoder.name, {})
        self.dirty = False
        self.progress = progress
        if self.path.is_file():
            try:
                with np.load(self.path) as z:
                    keys, vecs = z["keys"], z["vecs"]
                if vecs.shape[1:] == (encoder.dim,):
                    self.store = {str(k): v for k, v in zip(keys, vecs, strict=True)}
            except (OSError, ValueError, KeyError):
                self.store = {}

    @staticmethod
    def _key(role: str, text: str) -> str:
        return hashlib.sha1(f"{role}\0{text}".encode()).hexdigest()

    def encode(self, texts: list[str], role: str, stage: str = "") -> np.ndarray:
        """Vectors for texts as 'query' or 'passage', encoding only those not cached;
        progress(stage, done, total) is called after each batch."""
        keys = [self._key(role, t) for t in texts]
        for k in keys:
            if k not in self.store and k in self.memory:
                self.store[k] = self.memory[k]
                self.dirty = True
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.store}.items())
        if missing:
            fn = self.encoder.encode_queries if role == "query" else self.encoder.encode_passages
            batch = 64
            for i in range(0, len(missing), batch):
                part = missing[i:i + batch]
                vecs = fn([t for _, t in part])
                for (k, _), v in zip(part, vecs, strict=True):
                    self.store[k] = v
                    if len(self.memory) < _MEMORY_MAX:
                        self.memory[k] = v
                if self.progress:
                    self.progress(stage or role, min(i + batch, len(missing)), len(missing))
            self.dirty = True
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.vstack([self.store[k] for k in keys]).astype(np.float32)

    def save(self, keep: set[str] | None = None) -> None:
        """Persist the cache (atomically) when something new was encoded."""
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.store), dtype="U40")
        vecs = np.vstack(list(self.store.values())) if self.store else np.zeros((0, self.encoder.dim))
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs.astype(np.float32))
        tmp.replace(self.path)
        self.dirty = False
