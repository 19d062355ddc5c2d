"""Each slice's own metric and interval: Wilson, Student's t, or a (stratified) bootstrap."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics as _metrics
from ..intervals import mean_interval, proportion_interval

_CHUNK = 250_000  # bootstrap draws per chunk: small enough to stay in the CPU cache


def _groups(codes: np.ndarray, k: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=k))[:-1])


def _chunks(rows: int, n_boot: int):
    """Replicate ranges small enough that a chunk's arrays stay in the CPU cache."""
    step = max(1, _CHUNK // max(rows, 1))
    for start in range(0, n_boot, step):
        yield start, min(step, n_boot - start)


def _mean_replicates(values: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Bootstrap means: rows drawn with replacement, ``n_boot`` times."""
    out = np.empty(n_boot)
    for start, size in _chunks(values.size, n_boot):
        draws = rng.integers(0, values.size, size=(size, values.size), dtype=np.int32)
        out[start:start + size] = values[draws].mean(axis=1)
    return out


def _auc_replicates(y: np.ndarray, score: np.ndarray, n_boot: int, rng) -> np.ndarray:
    """Stratified bootstrap AUCs: positives and negatives resampled separately.

    AUC is the share of (positive, negative) pairs ranked right, ties counting one half. With
    the negatives sorted by score, a positive's count of resampled negatives below it is a
    cumulative sum of resampling counts read at a fixed position, so no replicate needs a sort.
    """
    negatives = np.sort(score[y == 0])
    positives = score[y == 1]
    n0, n1 = negatives.size, positives.size
    strictly = np.searchsorted(negatives, positives, side="left")
    at_most = np.searchsorted(negatives, positives, side="right")
    ties = bool(np.any(strictly != at_most))
    out = np.empty(n_boot)
    for start, size in _chunks(n0 + n1, n_boot):
        draws = rng.integers(0, n0, size=(size, n0), dtype=np.int32) + (
            np.arange(size, dtype=np.int32) * (n0 + 1))[:, None]
        counts = np.bincount(draws.ravel(), minlength=size * (n0 + 1)).reshape(size, n0 + 1)
        below = np.zeros_like(counts)  # below[:, j]: resampled negatives among the j lowest
        np.cumsum(counts[:, :n0], axis=1, out=below[:, 1:])
        picks = rng.integers(0, n1, size=(size, n1), dtype=np.int32)
        total = np.take_along_axis(below, strictly[picks], axis=1).sum(axis=1, dtype=float)
        if ties:
            total = (total + np.take_along_axis(below, at_most[picks], axis=1).sum(axis=1, dtype=float)) / 2
        out[start:start + size] = total / (n0 * n1)
    return out


def _stats(prep: dict, codes: np.ndarray, k: int, confidence: float, bootstrap: bool, n_boot: int, rng):
    """Metric, interval and what the flag tests need, for k slices given by ``codes``: for
    proportions and means the sufficient statistics (``n``, ``total``, ``square``)."""
    kind = prep["kind"]
    alpha = 1 - confidence
    out: dict[str, Any] = {"replicates": None}
    if kind in ("proportion", "mean"):
        mask = prep["mask"]
        c = codes if mask is None else codes[mask]
        v = prep["values"] if mask is None else prep["values"][mask]
        n = np.bincount(c, minlength=k).astype(float)
        total = np.bincount(c, weights=v, minlength=k)
        square = np.bincount(c, weights=v * v, minlength=k) if kind == "mean" else total
        with np.errstate(invalid="ignore", divide="ignore"):
            value = total / n
            std = np.sqrt(np.maximum(square - total * value, 0) / (n - 1))
        out.update(value=value, n=n, total=total, square=square)
        if not bootstrap:
            if kind == "proportion":
                out["low"], out["high"] = proportion_interval(total, n, confidence)
            else:
                out["low"], out["high"] = mean_interval(value, std, n, confidence)
            return out
        if kind == "proportion":  # the bootstrap of a mean of 0/1 values is Binomial(n, p) / n
            good = n > 0
            reps = np.full((k, n_boot), np.nan)
            reps[good] = rng.binomial(n[good, None].astype(np.int64), value[good, None],
                                      size=(int(good.sum()), n_boot)) / n[good, None]
        else:
            reps = np.full((k, n_boot), np.nan)
            for i, rows in enumerate(_groups(c, k)):
                if rows.size:
                    reps[i] = _mean_replicates(v[rows], n_boot, rng)
    else:
        y = prep["y"]
        value, n = np.full(k, np.nan), np.bincount(codes, minlength=k).astype(float)
        reps = np.full((k, n_boot), np.nan)
        for i, rows in enumerate(_groups(codes, k)):
            if not rows.size:
                continue
            if kind == "auc":
                value[i] = _metrics.roc_auc(y[rows], prep["score"][rows])
                if np.isfinite(value[i]):
                    reps[i] = _auc_replicates(y[rows], prep["score"][rows], n_boot, rng)
            else:
                truth, pred = y[rows], prep["pred"][rows]
                value[i] = float(prep["fn"](truth, pred))
                if np.isfinite(value[i]):
                    for b in range(n_boot):
                        draw = rng.integers(0, rows.size, size=rows.size)
                        reps[i, b] = prep["fn"](truth[draw], pred[draw])
        out.update(value=value, n=n)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(reps).sum(1) >= 2
        low, high = np.full(k, np.nan), np.full(k, np.nan)
        if usable.any():
            low[usable], high[usable] = np.nanquantile(reps[usable], [alpha / 2, 1 - alpha / 2], axis=1)
    out.update(low=low, high=high, replicates=reps)
    return out
