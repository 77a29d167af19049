"""Within-entry whitening: shrink the directions in which an FAQ entry's own phrasings differ.

Two phrasings of one entry differ in wording, register and sentence form, not in what they ask; a
subscriber's message differs from the entry in the same ways. Scaling those directions down (a
regularised inverse square root of the pooled within-entry scatter, as in within-class covariance
normalisation) leaves the directions that tell entries apart to decide the match."""

from __future__ import annotations

import numpy as np


def paraphrase_whitener(vecs: np.ndarray, owner: np.ndarray, n_entries: int, shrink: float) -> np.ndarray | None:
    """The linear map (dim x dim) for phrasing vectors `vecs` grouped by `owner`, or None when there is
    nothing to learn (shrink 0, or no entry with two phrasings)."""
    if shrink <= 0 or len(vecs) < 2:
        return None
    x = vecs.astype(np.float64)
    sums = np.zeros((n_entries, x.shape[1]))
    np.add.at(sums, owner, x)
    counts = np.bincount(owner, minlength=n_entries)[:, None]
    resid = x - (sums / np.maximum(counts, 1))[owner]
    scatter = resid.T @ resid
    trace = float(np.trace(scatter))
    if trace <= 1e-9:
        return None
    scatter *= x.shape[1] / trace                   # average eigenvalue 1, like the identity it is mixed with
    vals, basis = np.linalg.eigh(shrink * scatter + (1.0 - shrink) * np.eye(x.shape[1]))
    return ((basis / np.sqrt(np.maximum(vals, 1e-6))) @ basis.T).astype(np.float32)


def whitened(vecs: np.ndarray, transform: np.ndarray | None) -> np.ndarray:
    """Unit-length rows of vecs @ transform (vecs unchanged when there is no transform)."""
    if transform is None or not len(vecs):
        return vecs
    y = vecs @ transform
    norms = np.linalg.norm(y, axis=-1, keepdims=True)
    return (y / np.maximum(norms, 1e-9)).astype(np.float32)
