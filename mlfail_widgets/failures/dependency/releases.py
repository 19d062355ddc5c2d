"""The fictional world of chapter 01: the releases of ``scalekit`` and the ``songpipe`` pipeline.

``scalekit`` is a small feature-scaling library maintained by a third party. Its releases:

* **1.0.0**: ``Scaler`` (standardise columns) and ``clip_outliers``.
* **1.1.0**, a compatible minor release: adds ``winsorize`` (the new name of ``clip_outliers``)
  and ``Scaler.fit_transform``; ``clip_outliers`` still works but warns (DeprecationWarning),
  and ``Scaler()`` warns that its default will change (FutureWarning).
* **2.0.0**, a major release: ``clip_outliers`` is gone (a loud break: AttributeError when the
  code runs) and ``Scaler()`` no longer subtracts the mean by default (a silent break: every
  prediction moves, nothing raises).

``songpipe`` is the learner's team's pipeline (``Requires-Dist: scalekit>=1.0``): it scores
songs a listener is likely to save, with a logistic regression trained by
:class:`mlfail_widgets.models.LogisticRegression` and shipped inside the wheel.

Everything here is source text and numbers; :mod:`.wheels` turns it into real wheels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..._random import resolve_rng

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..._random import Seed
    from ...models import LogisticRegression

__all__ = ["FEATURES", "RELEASES", "SCALEKIT_VERSIONS", "GoldenSet", "Release", "make_songs",
           "pipeline_sources", "release_notes", "scalekit_sources", "train_pipeline"]

FEATURES = ("plays_last_week", "completion_rate", "days_since_release")
PIPELINE_VERSION = "1.0.0"


@dataclass(frozen=True)
class Release:
    """One release of the fictional ``scalekit`` library and what its notes say.

    Examples
    --------
    >>> RELEASES[-1].version, RELEASES[-1].kind
    ('2.0.0', 'major: breaking')
    """

    version: str
    kind: str
    notes: str


RELEASES: tuple[Release, ...] = (
    Release("1.0.0", "first stable release", "Scaler standardises columns; clip_outliers clips "
            "values beyond `limit` standard deviations."),
    Release("1.1.0", "minor: compatible", "New: winsorize (the new name of clip_outliers), "
            "Scaler.fit_transform. clip_outliers is deprecated (DeprecationWarning). Scaler() "
            "warns that its default with_mean will change (FutureWarning)."),
    Release("2.0.0", "major: breaking", "Removed: clip_outliers (use winsorize). Changed: "
            "Scaler() no longer centres by default (with_mean=False), to keep sparse data sparse."),
)
SCALEKIT_VERSIONS: tuple[str, ...] = tuple(release.version for release in RELEASES)


def release_notes() -> pd.DataFrame:
    """The release notes of ``scalekit`` as a DataFrame (``version``, ``kind``, ``notes``).

    Examples
    --------
    >>> release_notes()["version"].tolist()
    ['1.0.0', '1.1.0', '2.0.0']
    """
    import pandas as pd

    return pd.DataFrame([(r.version, r.kind, r.notes) for r in RELEASES],
                        columns=["version", "kind", "notes"])


_COMMON = '''
def _table(rows):
    rows = [[float(x) for x in row] for row in rows]
    if not rows:
        raise ValueError("scalekit needs at least one row")
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("scalekit needs the same number of columns in every row")
    return rows, [list(column) for column in zip(*rows)]


def _mean(values):
    return sum(values) / len(values)


def _std(values):
    centre = _mean(values)
    return (sum((x - centre) ** 2 for x in values) / len(values)) ** 0.5


def _clip(rows, limit):
    rows, columns = _table(rows)
    bounds = [(_mean(c) - limit * _std(c), _mean(c) + limit * _std(c)) for c in columns]
    return [[min(max(x, low), high) for x, (low, high) in zip(row, bounds)] for row in rows]
'''

_SCALER = '''

class Scaler:
    """Scale columns: subtract the mean (when with_mean), divide by the standard deviation."""

    def __init__(self, with_mean={default}):
{warn}        self.with_mean = with_mean

    def fit(self, rows):
        _, columns = _table(rows)
        self.mean_ = [_mean(c) for c in columns]
        self.scale_ = [_std(c) or 1.0 for c in columns]
        return self

    def transform(self, rows):
        rows, _ = _table(rows)
        shift = self.mean_ if self.with_mean else [0.0] * len(self.mean_)
        return [[(x - m) / s for x, m, s in zip(row, shift, self.scale_)] for row in rows]
{extra}'''

_FUTURE_WARNING = '''        if with_mean is None:
            warnings.warn("The default of with_mean will change from True to False in scalekit "
                          "2.0. Pass with_mean=True to keep the current behaviour.",
                          FutureWarning, stacklevel=2)
            with_mean = True
'''

_FIT_TRANSFORM = '''
    def fit_transform(self, rows):
        return self.fit(rows).transform(rows)
'''


def scalekit_sources(version: str, *, tampered: bool = False) -> dict[str, str]:
    """The files of one ``scalekit`` release: ``{path in the wheel: source text}``.

    ``tampered=True`` gives the same version with one injected line, as a compromised mirror
    would serve it (the injected line is inert: pip refuses the wheel before it could run).

    Examples
    --------
    >>> source = scalekit_sources("2.0.0")["scalekit/__init__.py"]
    >>> "def clip_outliers" in source, "with_mean=False" in source
    (False, True)
    """
    header = f'"""scalekit {version}: feature scaling for small tables (fictional, built by mlfail)."""\n\n'
    if version == "1.0.0":
        body = ("__version__ = '1.0.0'\n__all__ = ['Scaler', 'clip_outliers']\n" + _COMMON
                + _SCALER.format(default="True", warn="", extra="")
                + '\n\ndef clip_outliers(rows, limit=3.0):\n'
                  '    """Clip every value to within `limit` standard deviations of its column mean."""\n'
                  '    return _clip(rows, limit)\n')
    elif version == "1.1.0":
        body = ("import warnings\n\n__version__ = '1.1.0'\n"
                "__all__ = ['Scaler', 'clip_outliers', 'winsorize']\n" + _COMMON
                + _SCALER.format(default="None", warn=_FUTURE_WARNING, extra=_FIT_TRANSFORM)
                + '\n\ndef winsorize(rows, limit=3.0):\n'
                  '    """Clip every value to within `limit` standard deviations of its column mean."""\n'
                  '    return _clip(rows, limit)\n'
                  '\n\ndef clip_outliers(rows, limit=3.0):\n'
                  '    """Deprecated alias of winsorize; removed in scalekit 2.0."""\n'
                  '    warnings.warn("clip_outliers is deprecated and will be removed in scalekit 2.0; "\n'
                  '                  "use winsorize", DeprecationWarning, stacklevel=2)\n'
                  '    return _clip(rows, limit)\n')
    elif version == "2.0.0":
        body = ("__version__ = '2.0.0'\n__all__ = ['Scaler', 'winsorize']\n" + _COMMON
                + _SCALER.format(default="False", warn="", extra=_FIT_TRANSFORM)
                + '\n\ndef winsorize(rows, limit=3.0):\n'
                  '    """Clip every value to within `limit` standard deviations of its column mean."""\n'
                  '    return _clip(rows, limit)\n'
                  '\n\ndef __getattr__(name):\n'
                  '    if name == "clip_outliers":\n'
                  '        raise AttributeError("module \'scalekit\' has no attribute \'clip_outliers\': "\n'
                  '                             "it was removed in scalekit 2.0; use scalekit.winsorize")\n'
                  '    raise AttributeError(f"module \'scalekit\' has no attribute {name!r}")\n')
    else:
        raise ValueError(f"no scalekit release {version!r}; releases: {', '.join(SCALEKIT_VERSIONS)}")
    if tampered:
        body += "\n# Injected by a compromised mirror: code here would run on every import.\n_INJECTED = True\n"
    return {"scalekit/__init__.py": header + body}


_PIPELINE = '''"""songpipe {version}: will a listener save this song? (fictional pipeline, built by mlfail)

Two steps of the nightly job: clean() clips outliers in the day's raw play logs before they
join the training data; predict_proba() scores songs with the model shipped in model.json.
"""

import json
import math
import os

import scalekit

__version__ = "{version}"
FEATURES = {features!r}

with open(os.path.join(os.path.dirname(__file__), "model.json")) as _file:
    _MODEL = json.load(_file)
_SCALER = []


def clean(rows):
    """Clip outliers (beyond 3 standard deviations) in raw feature rows."""
    return scalekit.clip_outliers(rows, limit=3.0)


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def predict_proba(rows):
    """Probability that the listener saves each song (rows of FEATURES, raw units)."""
    if not _SCALER:
        _SCALER.append(scalekit.Scaler().fit(_MODEL["reference"]))
    weights, intercept = _MODEL["weights"], _MODEL["intercept"]
    return [_sigmoid(sum(w * z for w, z in zip(weights, row)) + intercept)
            for row in _SCALER[0].transform(rows)]


def predict(rows, threshold=0.5):
    """1 when the listener is predicted to save the song, else 0."""
    return [int(p >= threshold) for p in predict_proba(rows)]
'''


def pipeline_sources(model: LogisticRegression, reference: np.ndarray) -> dict[str, str]:
    """The files of the ``songpipe`` wheel: its code and the trained model as JSON.

    ``model`` is a fitted binary :class:`~mlfail_widgets.models.LogisticRegression`;
    ``reference`` the training features the pipeline fits its scaler on at start-up.

    Examples
    --------
    >>> golden = train_pipeline(seed=0)
    >>> sorted(pipeline_sources(golden.model, golden.reference))
    ['songpipe/__init__.py', 'songpipe/model.json']
    """
    weights = (model.coef_[1] - model.coef_[0]).tolist()
    intercept = float(model.intercept_[1] - model.intercept_[0])
    payload = {"features": list(FEATURES), "weights": weights, "intercept": intercept,
               "reference": [[float(x) for x in row] for row in reference]}
    return {"songpipe/__init__.py": _PIPELINE.format(version=PIPELINE_VERSION, features=FEATURES),
            "songpipe/model.json": json.dumps(payload)}


def make_songs(n: int, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` songs: features (``FEATURES``, raw units) and whether the listener saved it.

    Play counts are log-normal (a long tail of hits), completion rates Beta(4, 3), days since
    release exponential (mean 90). A listener saves a song more often when it is played a lot,
    played to the end, and recent.

    Examples
    --------
    >>> X, saved = make_songs(5, seed=0)
    >>> X.shape, saved.tolist()
    ((5, 3), [1, 0, 0, 0, 1])
    """
    import numpy as np

    rng = resolve_rng(seed)
    plays = rng.lognormal(3.0, 0.8, n)
    completion = rng.beta(4, 3, n)
    days = rng.exponential(90, n)
    logit = 1.2 * (np.log(plays) - 3.0) + 5.0 * (completion - 0.57) - 0.015 * (days - 90)
    saved = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([plays, completion, days]), saved


@dataclass
class GoldenSet:
    """The model shipped in ``songpipe`` and its golden set.

    The golden set is a fixed sample of songs with their labels and the probabilities the
    model gave them when it was trained and released: any environment that runs the pipeline
    correctly must reproduce them.

    Attributes
    ----------
    model : LogisticRegression
        The trained model (its weights are shipped in the wheel).
    reference : ndarray of shape (n_train, 3)
        The training features; the pipeline fits its scaler on them at start-up.
    features, labels : ndarray
        The golden songs and whether the listener saved them.
    expected : ndarray
        The probabilities recorded at release time.

    Examples
    --------
    >>> golden = train_pipeline(seed=0)
    >>> golden.features.shape, golden.expected.shape
    ((200, 3), (200,))
    """

    model: LogisticRegression
    reference: np.ndarray
    features: np.ndarray
    labels: np.ndarray
    expected: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def train_pipeline(seed: Seed = None, *, n_train: int = 400, n_golden: int = 200) -> GoldenSet:
    """Train the pipeline's model and record its golden predictions.

    Examples
    --------
    >>> golden = train_pipeline(seed=0)
    >>> len(golden), golden.reference.shape
    (200, (400, 3))
    >>> bool(((golden.expected > 0.5) == golden.labels).mean() > 0.7)
    True
    """
    from ...models import LogisticRegression

    rng = resolve_rng(seed)
    X, y = make_songs(n_train, rng)
    features, labels = make_songs(n_golden, rng)
    model = LogisticRegression().fit(X, y)
    return GoldenSet(model, X, features, labels, model.predict_proba(features)[:, 1])
