"""A small, real classifier that the chapters train, pickle, deploy, shift and monitor.

A multinomial logistic regression in numpy, fitted by L-BFGS on the penalised
log-likelihood. It is deliberately small (the course is about what goes wrong *around* a
model), but it is a genuine model: it learns, it pickles, it can be corrupted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validation import ParameterError, check_float, check_int, owner_name, parameter_error

__all__ = ["LogisticRegression"]


class LogisticRegression:
    """Multinomial logistic regression with an L2 penalty, features standardised inside.

    Parameters
    ----------
    l2 : float, default=1e-3
        Strength of the L2 penalty on the weights (not on the intercepts), per sample.
    max_iter : int, default=200
        Maximum L-BFGS iterations.

    Attributes
    ----------
    classes_ : ndarray
        The class labels seen in ``fit``, sorted.
    coef_ : ndarray of shape (n_classes, n_features)
        Weights on the standardised features.
    intercept_ : ndarray of shape (n_classes,)
    mean_, scale_ : ndarray of shape (n_features,)
        The standardisation learned from the training data.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    >>> model.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, l2: float = 1e-3, max_iter: int = 200):
        self.l2 = l2
        self.max_iter = max_iter

    def _check_X(self, X: ArrayLike) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ParameterError(
                f"{owner_name()} needs X as a 2-D array (rows, features); got shape {X.shape}. "
                "Use X.reshape(-1, 1) for a single feature."
            )
        if not np.isfinite(X).all():
            raise ParameterError(f"{owner_name()} got NaN or infinite values in X; drop or impute them first.")
        return X

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> LogisticRegression:
        """Learn the weights from features ``X`` and labels ``y`` (optionally weighted)."""
        from scipy.optimize import minimize

        l2 = check_float(self.l2, "l2", low=0)
        max_iter = check_int(self.max_iter, "max_iter", low=1)
        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise parameter_error("y", f"one label per row of X, an array of shape ({X.shape[0]},)", y.shape)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise parameter_error("y", "labels of at least two classes", self.classes_.tolist())
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        if weight.shape != y.shape or (weight < 0).any() or not np.isfinite(weight).all():
            raise parameter_error("sample_weight", f"one finite, non-negative weight per row of X "
                                  f"({X.shape[0]})", sample_weight)
        weight = weight / weight.mean()
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = (X - self.mean_) / self.scale_
        n, d = Z.shape
        k = self.classes_.size
        onehot = np.zeros((n, k))
        onehot[np.arange(n), codes] = 1.0

        def loss_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            W = theta[: k * d].reshape(k, d)
            b = theta[k * d :]
            logits = Z @ W.T + b
            logits -= logits.max(axis=1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            loss = -(weight * (onehot * log_p).sum(axis=1)).sum() / n + 0.5 * l2 * (W**2).sum()
            residual = (np.exp(log_p) - onehot) * weight[:, None] / n
            grad_W = residual.T @ Z + l2 * W
            grad_b = residual.sum(axis=0)
            return loss, np.concatenate([grad_W.ravel(), grad_b])

        result = minimize(
            loss_and_grad,
            np.zeros(k * d + k),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": max_iter},
        )
        self.coef_ = result.x[: k * d].reshape(k, d)
        self.intercept_ = result.x[k * d :]
        self.n_iter_ = int(result.nit)
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ParameterError(f"{owner_name()} was called before fit; call model.fit(X, y) first.")

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability of each class (columns in the order of ``classes_``)."""
        self._fitted()
        X = self._check_X(X)
        if X.shape[1] != self.coef_.shape[1]:
            raise parameter_error("X", f"an array with the {self.coef_.shape[1]} feature column(s) the model "
                                  "was trained on", X.shape)
        logits = ((X - self.mean_) / self.scale_) @ self.coef_.T + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class for each row."""
        probability = self.predict_proba(X)
        return self.classes_[np.argmax(probability, axis=1)]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy of ``predict(X)`` against ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "coef_") else "not fitted"
        return f"LogisticRegression(l2={self.l2!r}, max_iter={self.max_iter!r})  # {state}"
