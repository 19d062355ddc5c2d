"""The deployed model of the chapter: a logistic regression over named DataFrame columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._validation import ParameterError, check_columns, owner_name, parameter_error
from ...models import LogisticRegression
from ._inputs import category_levels, design_matrix, is_categorical

__all__ = ["TabularClassifier"]


class TabularClassifier:
    """:class:`mlfail_widgets.models.LogisticRegression` on DataFrame columns.

    Numeric columns are used as they are, categorical ones one-hot encoded with the categories
    seen in ``fit`` (a category never seen in training gets no column of its own).

    Parameters
    ----------
    features : list of str
        The feature columns.
    target : str, default="label"
        The label column.
    l2 : float, default=1e-3
        L2 penalty of the logistic regression.

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import make_shift
    >>> data = make_shift("covariate", 2.0, n_reference=2000, n_current=2000, seed=0)
    >>> model = TabularClassifier(data.features).fit(data.reference)
    >>> round(model.accuracy(data.reference), 2), round(model.accuracy(data.current), 2)
    (0.8, 0.64)
    """

    def __init__(self, features: Any, target: str = "label", l2: float = 1e-3) -> None:
        self.features = list(features)
        self.target = target
        self.l2 = l2

    def _columns(self, frame, *, labels: bool = False):
        if not hasattr(frame, "columns"):
            raise ParameterError(f"{owner_name()} needs a pandas DataFrame with the columns "
                                 f"{self.features}; got {type(frame).__name__}.")
        check_columns(frame, self.features + ([self.target] if labels else []), "data")

    def fit(self, frame: Any, sample_weight: Any = None) -> TabularClassifier:
        """Learn from the feature columns and the label column of ``frame``."""
        self._columns(frame, labels=True)
        self.categorical_ = [c for c in self.features if is_categorical(frame[c])]
        self.numeric_ = [c for c in self.features if c not in self.categorical_]
        self.levels_ = category_levels(frame, self.categorical_)
        self.model_ = LogisticRegression(l2=self.l2).fit(self.matrix(frame), frame[self.target].to_numpy(),
                                                         sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def matrix(self, frame: Any) -> np.ndarray:
        """The model's input matrix for ``frame`` (numeric columns, then one-hot categories)."""
        self._columns(frame)
        return design_matrix(frame, self.numeric_, self.categorical_, self.levels_)

    def predict_proba(self, frame: Any) -> np.ndarray:
        """Probability of each class (columns in the order of ``classes_``)."""
        if not hasattr(self, "model_"):
            raise ParameterError(f"{owner_name()} was called before fit; call model.fit(data) first.")
        return self.model_.predict_proba(self.matrix(frame))

    def predict(self, frame: Any) -> np.ndarray:
        """The most probable class of each row."""
        return self.classes_[self.predict_proba(frame).argmax(axis=1)]

    def accuracy(self, frame: Any) -> float:
        """Share of rows of ``frame`` whose label the model predicts."""
        self._columns(frame, labels=True)
        if len(frame) == 0:
            raise parameter_error("frame", "a DataFrame with at least one row", "an empty DataFrame",
                                  fix="Score the model on a window that holds data.")
        return float(np.mean(self.predict(frame) == frame[self.target].to_numpy()))

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "model_") else "not fitted"
        return f"TabularClassifier({self.features!r}, target={self.target!r})  # {state}"
