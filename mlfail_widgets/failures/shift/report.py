"""A drift report over many features, with a correction for testing them all at once.

Testing 20 features at the 5% level flags at least one of them in about 64% of comparisons
where nothing moved (``1 - 0.95**20``). :func:`mlfail_widgets.statistics.adjust_pvalues` (re-exported here) corrects for that: Bonferroni
and Holm control the chance of *any* false alarm, Benjamini-Hochberg the expected share of
false alarms among the features flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._validation import check_float, check_int, parameter_error
from ...statistics import (
    CORRECTIONS,
    adjust_pvalues,
    check_correction,
    drift_effects,
    psi_from_counts,
    psi_null,
    renamed_argument,
)
from ._inputs import is_categorical
from .chi_square import chi_square_test
from .jensen_shannon import jensen_shannon_distance
from .ks import KSReference
from .psi import _binned_counts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CORRECTIONS", "DriftReport", "adjust_pvalues", "detect_drift", "evidently_default_rule"]


@dataclass
class DriftReport:
    """Per-feature drift tests and distances, with the multiple-testing correction applied.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per feature: ``column``, ``type``, ``test``, ``statistic``, ``pvalue``,
        ``adjusted_pvalue``, ``drifted``, ``psi``, ``jensen_shannon``, ``wasserstein_sd``
        (the Wasserstein distance in reference standard deviations; NaN for categories), and
        beside every p-value how large the shift is and how large it must be to be seen:
        ``effect_size`` and ``effect_measure`` (KS's D, the largest gap between the two
        ECDFs, for numbers; Cramer's V for categories), ``detectable`` (the smallest effect
        of that measure the test flags at these sample sizes, at Bonferroni's per-test level
        ``alpha / features``), ``power_small`` (the chance of flagging a small effect at
        these sizes and that level) and ``small_effect`` (which effect: a location shift of 0.2
        sd of a normal feature for KS, from the asymptotic law of D, see
        :func:`mlfail_widgets.statistics.ks_power`; Cohen's w = V = 0.1 for chi-square, from the
        noncentral chi-square), and ``psi_null95`` (PSI's 95th percentile with no
        shift at the current sample's size, see :func:`mlfail_widgets.statistics.psi_null`:
        the threshold that replaces the 0.1 / 0.25 rule of thumb).
    alpha : float
        The significance level: a feature is flagged when its adjusted p-value is below it.
    correction : str
    rows : dict
        Rows in each window: ``{"reference": n, "current": m}``.
    engine : str
        Where the data was counted: ``"pandas"`` for :func:`detect_drift`; for chapter 08's
        ``audit.drift_report``, the log's engine (``"duckdb"``, ``"polars"``, ``"dask"``, ...).
    windows : dict, optional
        For a log: each window's ``(start, end)`` as text.
    grid : int, optional
        For a log: the fine grid of the binned path.
    dofs : dict
        Each categorical feature's chi-square degrees of freedom (categories - 1), which with
        ``rows`` lets :meth:`with_correction` recompute ``detectable`` and ``power_small`` at
        the new level.
    """

    table: Any
    alpha: float
    correction: str
    rows: dict[str, int] = field(default_factory=dict)
    engine: str = "pandas"
    windows: dict[str, tuple[str, str]] = field(default_factory=dict)
    grid: int | None = None
    dofs: dict[str, int] = field(default_factory=dict)

    def with_correction(self, correction: str, alpha: float | None = None) -> DriftReport:
        """The same tests judged again under another correction or level: the adjusted p-values,
        the flags and the columns that depend on the level each test is run at (``detectable``,
        ``power_small``; see :func:`mlfail_widgets.statistics.drift_effects`). The tests
        themselves are not run again: the result equals the report computed with that
        correction and level.

        Examples
        --------
        >>> from mlfail_widgets.failures.shift import make_shift
        >>> data = make_shift("covariate", 0.5, n_reference=1000, n_current=1000, seed=0)
        >>> report = detect_drift(data.reference, data.current, columns=data.features, correction="none")
        >>> report.with_correction("holm", alpha=0.001).drifted
        ['x1', 'x4']
        >>> direct = detect_drift(data.reference, data.current, columns=data.features, correction="holm", alpha=0.001)
        >>> bool((report.with_correction("holm", alpha=0.001).table["detectable"] == direct.table["detectable"]).all())
        True
        """
        correction = check_correction(correction)
        alpha = self.alpha if alpha is None else check_float(alpha, "alpha", low=0, high=1, low_open=True,
                                                              high_open=True)
        table = self.table.copy()
        table["adjusted_pvalue"] = adjust_pvalues(table["pvalue"].to_numpy(), correction)
        table["drifted"] = table["adjusted_pvalue"] < alpha
        kinds = table["type"].tolist()
        missing = [c for c, kind in zip(table["column"], kinds, strict=True)
                   if kind == "categorical" and c not in self.dofs]
        if not {"reference", "current"} <= set(self.rows) or missing:
            raise ValueError(
                "DriftReport.with_correction needs the windows' rows (report.rows) and each categorical "
                "feature's degrees of freedom (report.dofs) to recompute 'detectable' and 'power_small' "
                f"at the new level; this report lacks {'rows' if missing == [] else f'dofs of {missing}'}. "
                "Compute the report with detect_drift or audit.drift_report (they fill both), or with the "
                "correction and alpha you want.")
        effects = drift_effects(kinds, table["statistic"].tolist(),
                                (int(self.rows["reference"]), int(self.rows["current"])), alpha, correction,
                                [self.dofs.get(c) for c in table["column"]])
        for name, values in effects.items():
            table[name] = values
        return replace(self, table=table, alpha=alpha, correction=correction)

    @property
    def level(self) -> float:
        """The old name of :attr:`alpha` (deprecated)."""
        import warnings

        warnings.warn("DriftReport.level is renamed DriftReport.alpha; level will stop working in the "
                      "next release.", DeprecationWarning, stacklevel=2)
        return self.alpha

    @property
    def drifted(self) -> list:
        """The features flagged after the correction."""
        return self.table.loc[self.table["drifted"], "column"].tolist()

    @property
    def any(self) -> bool:
        """True when at least one feature is flagged."""
        return bool(self.table["drifted"].any())


def _split_columns(reference, current, columns):
    from ..._validation import check_columns

    if not (hasattr(reference, "columns") and hasattr(current, "columns")):
        raise parameter_error("reference", "a pandas DataFrame (one column per feature)",
                              type(reference).__name__,
                              fix="Wrap arrays as pd.DataFrame(array, columns=names).")
    for name, table in (("reference", reference), ("current", current)):
        if len(table) == 0 or len(table.columns) == 0:
            raise parameter_error(name, "a DataFrame with at least one row and one column",
                                  f"an empty table ({len(table)} rows, {len(table.columns)} columns)",
                                  fix=f"Check how the {name} window was selected: no rows fell in it.")
    columns = list(reference.columns) if columns is None else check_columns(reference, columns, "columns")
    check_columns(current, columns, "columns")
    numeric = [c for c in columns if not is_categorical(reference[c])]
    categorical = [c for c in columns if is_categorical(reference[c])]
    return columns, numeric, categorical


def detect_drift(reference: Any, current: Any, columns: Any = None, *, alpha: float = 0.05,
                 correction: str = "bonferroni", bins: int = 10, level: float | None = None) -> DriftReport:
    """Test every feature for drift: KS for numbers, chi-square for categories, plus distances.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        The training-time data and the data seen now.
    columns : list of str, optional
        The features to test (default: every column of ``reference``).
    alpha : float, default=0.05
        The significance level: flag a feature when its adjusted p-value is below it.
    correction : {"none", "bonferroni", "holm", "bh"}, default="bonferroni"
        How p-values are adjusted for testing many features (see :func:`adjust_pvalues`).
    bins : int, default=10
        Bins (reference quantiles) for PSI and Jensen-Shannon on numeric features.
    level : float, optional
        The old name of ``alpha`` (deprecated).

    Returns
    -------
    DriftReport

    Examples
    --------
    >>> from mlfail_widgets.failures.shift import make_shift
    >>> data = make_shift("covariate", 0.5, n_reference=1000, n_current=1000, seed=0)
    >>> report = detect_drift(data.reference, data.current, columns=data.features)
    >>> report.drifted
    ['x1', 'x4', 'channel']
    >>> detect_drift(data.reference, data.current, columns=["x9"])
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'columns' parameter of detect_drift must be a column of the data (columns: 'x1', 'x2', 'x3', 'x4', 'channel', 'label'). Got 'x9' instead.
    """
    import pandas as pd

    alpha = renamed_argument("alpha", alpha, "level", level, 0.05)
    alpha = check_float(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    correction = check_correction(correction)
    bins = check_int(bins, "bins", low=2, high=1000)
    columns, numeric, categorical = _split_columns(reference, current, columns)
    rows: dict[Any, tuple] = {}
    counts: dict[Any, np.ndarray] = {}
    if numeric:
        prepared = KSReference(reference, columns=numeric)
        ks = prepared.test(current)
        distance = prepared.wasserstein(current[numeric].to_numpy(float)[None], normed=True)[0]
        for j, column in enumerate(numeric):
            r, c = reference[column].to_numpy(float), current[column].to_numpy(float)
            rows[column] = ("numeric", "Kolmogorov-Smirnov", ks.statistic[j], ks.pvalue[j],
                            _psi_and_counts(r, c, bins, counts, column),
                            jensen_shannon_distance(r, c, bins=bins), distance[j])
    table_of = {}
    for column in categorical:
        chi = table_of[column] = chi_square_test(reference[column], current[column])
        rows[column] = ("categorical", "chi-square", chi.statistic, chi.pvalue,
                        _psi_and_counts(reference[column], current[column], bins, counts, column),
                        jensen_shannon_distance(reference[column], current[column]), np.nan)
    table = pd.DataFrame(
        [(c, *rows[c]) for c in columns],
        columns=["column", "type", "test", "statistic", "pvalue", "psi", "jensen_shannon",
                 "wasserstein_sd"])
    table.insert(5, "adjusted_pvalue", adjust_pvalues(table["pvalue"].to_numpy(), correction))
    table.insert(6, "drifted", table["adjusted_pvalue"] < alpha)
    sizes = (len(reference), len(current))
    effects = drift_effects(table["type"].tolist(), table["statistic"].tolist(), sizes, alpha, correction,
                            [table_of[c].dof if c in table_of else None for c in table["column"]])
    for name, values in effects.items():
        table[name] = values
    table["psi_null95"] = [psi_null(counts[c], len(current), seed=0)["threshold"] for c in columns]
    return DriftReport(table, alpha, correction, rows={"reference": len(reference), "current": len(current)},
                       dofs={c: int(chi.dof) for c, chi in table_of.items()})


def _psi_and_counts(reference, current, bins: int, counts: dict, column) -> float:
    """PSI of one feature; its reference bin counts are kept for PSI's null threshold."""
    r, c = _binned_counts(reference, current, bins)
    counts[column] = r
    return float(psi_from_counts(r, c))


def evidently_default_rule(reference: Any, current: Any, columns: Any = None) -> pd.DataFrame:
    """Which test Evidently's default data-drift rule picks for each column, and its verdict.

    A re-statement of the rule documented by Evidently ("Data drift algorithm",
    https://docs.evidentlyai.com/reference/data-drift-algorithm), not Evidently itself:

    * reference with <= 1000 rows: KS test for numeric columns with more than 5 distinct
      values, chi-square for categorical ones (a two-proportion z-test when binary), drift
      when p < 0.05;
    * reference with > 1000 rows: Wasserstein distance normed by the reference's standard
      deviation for numeric columns, Jensen-Shannon distance (natural log) for categorical ones,
      drift when the distance is >= 0.1.

    The switch means that on large data a shift is judged by its size, not its significance:
    a 0.1-sd mean shift, which a KS test on 100,000 rows flags with p < 1e-50, scores about
    0.1 in normed Wasserstein distance and is flagged only about half the time.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``test``, ``score``, ``threshold``, ``drifted``.

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> reference = pd.DataFrame({"x": rng.normal(size=5000)})
    >>> current = pd.DataFrame({"x": rng.normal(0.05, 1, size=5000)})
    >>> row = evidently_default_rule(reference, current).iloc[0]
    >>> row["test"], bool(row["drifted"])
    ('Wasserstein distance (normed)', False)
    """
    import pandas as pd

    columns, numeric, _ = _split_columns(reference, current, columns)
    large = len(reference) > 1000
    rows = []
    for column in columns:
        r, c = reference[column], current[column]
        few_values = pd.concat([r, c]).nunique() <= 5
        if column in numeric and not few_values:
            if large:
                score = float(KSReference(r.to_numpy(float)).wasserstein(
                    c.to_numpy(float)[None, :, None], normed=True)[0, 0])
                rows.append((column, "Wasserstein distance (normed)", score, 0.1, score >= 0.1))
            else:
                p = float(KSReference(r.to_numpy(float)).test(c.to_numpy(float)).pvalue)
                rows.append((column, "Kolmogorov-Smirnov p-value", p, 0.05, p < 0.05))
        elif large:
            score = jensen_shannon_distance(r.astype(str), c.astype(str), base=np.e)
            rows.append((column, "Jensen-Shannon distance", score, 0.1, score >= 0.1))
        else:
            binary = pd.concat([r, c]).nunique() <= 2
            p = chi_square_test(r.astype(str), c.astype(str), correction=False).pvalue
            rows.append((column, "z-test for proportions" if binary else "chi-square p-value",
                         p, 0.05, p < 0.05))
    return pd.DataFrame(rows, columns=["column", "test", "score", "threshold", "drifted"])
