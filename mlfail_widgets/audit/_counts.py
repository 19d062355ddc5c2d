"""The counts the binned drift report needs, computed where the log is.

For a numeric column the bins are a fine *quantile* grid of the reference window: edges at
``grid`` quantiles of a sample of its rows (a few short time spans spread over the window), so
every bin holds about ``1 / grid`` of the reference, wherever the data is (an equal-width grid
puts most rows in a few bins when a column has a long tail). The engine finds each row's bin
with arithmetic and one small lookup table (a fine equal-width index over the sample's range,
each entry holding the bin below it and the one edge, if any, inside it), then counts rows,
and the smallest and largest value, per (window, bin) in one ``GROUP BY``.

A DuckDB relation (and so any Parquet/CSV path) gets plain SQL: one query per numeric column
(reading only that column and the timestamp; measured faster than one scan with GROUPING SETS
or UNPIVOT, or DuckDB's ``histogram``), one query for all categorical columns (GROUPING SETS),
the time filter pushed into the Parquet scan (row groups outside the windows are skipped).
Other engines get the same queries through narwhals, with the lookup table joined in.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._frames import LogFrame, timestamp_expression

__all__ = ["Lookup", "NumericCounts", "category_counts", "numeric_counts", "quantile_lookup", "reference_sample",
           "window_rows", "windowed_sql"]

#: Fine lookup bins per quantile bin.
FINE = 8


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(stamp: Any) -> str:
    return f"TIMESTAMP '{stamp.isoformat(sep=' ')}'"


def windowed_sql(log: LogFrame, timestamp: str, bounds: dict) -> str | None:
    """SQL for the rows of two windows with their index in ``_w`` (DuckDB only; else None).

    A timestamp with a time zone is compared in UTC; text (already checked to parse by
    :func:`._frames.timestamp_expression`) and dates are cast to timestamps.
    """
    if log.engine != "duckdb":
        return None
    t, dtype = _quote(timestamp), log.schema[timestamp]
    if getattr(dtype, "time_zone", None):
        t = f"timezone('UTC', {t})"
    elif not dtype.is_temporal() or str(dtype) == "Date":
        t = f"CAST({t} AS TIMESTAMP)"
    (a, b), (c, d) = bounds.values()
    inside = (f"{t} >= {_literal(min(a, c))} AND {t} < {_literal(max(b, d))}" if b >= c and d >= a
              else f"({t} >= {_literal(a)} AND {t} < {_literal(b)}) OR ({t} >= {_literal(c)} AND {t} < {_literal(d)})")
    return f"SELECT *, ({t} >= {_literal(c)} AND {t} < {_literal(d)})::INTEGER AS _w FROM _log WHERE {inside}"


def _sql(log: LogFrame, query: str) -> dict[str, np.ndarray]:
    """Run ``query`` (which reads the log as ``_log``) in the log's DuckDB connection."""
    import narwhals as nw

    return dict(nw.to_native(log.frame).query("_log", query).fetchnumpy())


def window_rows(log: LogFrame, frame: Any, sql: str | None) -> np.ndarray:
    """Rows in each of the two windows (reads the time column only)."""
    import narwhals as nw

    if sql is not None:
        # ungrouped counts (no hash table): measured several times cheaper than GROUP BY _w
        out = _sql(log, f"SELECT count(*) FILTER (WHERE _w = 0) AS _r, count(*) FILTER (WHERE _w = 1) AS _c "
                        f"FROM ({sql})")
        keys, counts = np.array([0, 1]), np.array([out["_r"][0], out["_c"][0]])
    else:
        out = log.collect(frame.select("_window").group_by("_window").agg(nw.len().alias("_n")))
        keys, counts = out["_window"], out["_n"]
    rows = np.zeros(2, dtype=np.int64)
    rows[np.asarray(keys, dtype=int)] = np.asarray(counts, dtype=np.int64)
    return rows


def reference_sample(log: LogFrame, timestamp: str, columns: list[str], bounds: dict, rows: int,
                     size: int = 100_000, spans: int = 8) -> dict[str, np.ndarray]:
    """Values of ``columns`` in ``spans`` short time spans spread evenly over the reference window.

    Together the spans cover ``size / rows`` of the window (all of it when it has at most
    ``size`` rows), so they hold about ``size`` rows if rows are spread evenly in time; a
    Parquet reader skips the row groups between them. Missing and non-finite values are left out.
    """
    import narwhals as nw

    start, end = bounds["reference"]
    share = min(1.0, size / max(rows, 1))
    t = timestamp_expression(log, timestamp)
    if share >= 1.0:
        keep = (t >= nw.lit(start.to_pydatetime())) & (t < nw.lit(end.to_pydatetime()))
    else:
        step, width = (end - start) / spans, (end - start) * share / spans
        keep = None
        for i in range(spans):
            a = start + step * i + (step - width) / 2
            inside = (t >= nw.lit(a.to_pydatetime())) & (t < nw.lit((a + width).to_pydatetime()))
            keep = inside if keep is None else keep | inside
    out = log.collect(log.frame.filter(keep).select(*(nw.col(c).cast(nw.Float64) for c in columns)))
    return {c: np.sort(v[np.isfinite(v)]) for c, v in ((c, np.asarray(out[c], dtype=float)) for c in columns)}


@dataclass(frozen=True)
class Lookup:
    """Quantile edges and the lookup table that finds a value's bin among them.

    A value x has position ``t = x`` (or, for a long-tailed column, ``t = sign(x - center) *
    log1p(|x - center| / spread)``, which spreads the tails' values over the fine grid) and
    fine index ``k = clip(floor((t - low) * scale), 0, size - 1)``; its bin is ``below[k] +
    (x >= edge[k])`` (``edge[k]`` is +inf where no edge falls in fine bin k). Bin 0 is
    ``(-inf, edges[0])``, bin i ``[edges[i-1], edges[i])``, the last ``[edges[-1], inf)``.
    """

    edges: np.ndarray
    low: float
    scale: float
    below: np.ndarray
    edge: np.ndarray
    discrete: bool = False  # the sample has repeated values: check for single-valued bins
    center: float = 0.0
    spread: float = 0.0  # 0: t = x

    @property
    def size(self) -> int:
        return int(self.below.size)

    def position(self, x: np.ndarray) -> np.ndarray:
        """``t`` of each value (a new array)."""
        if not self.spread:
            return np.array(x, dtype=float)
        d = np.asarray(x, dtype=float) - self.center
        return np.copysign(np.log(np.abs(d) / self.spread + 1), d)  # (as the engines write it: log(y + 1))

    def bins(self, x: np.ndarray) -> np.ndarray:
        """The bin of each value (as the engines compute it), for tests."""
        x = np.asarray(x, dtype=float)
        k = np.clip(np.floor((self.position(x) - self.low) * self.scale), 0, self.size - 1).astype(int)
        return self.below[k] + (x >= self.edge[k])


def _fine_index(t: np.ndarray, low: float, scale: float, size: int) -> np.ndarray:
    return np.clip(np.floor((t - low) * scale), 0, size - 1).astype(int)


def quantile_lookup(sample: np.ndarray, grid: int) -> Lookup:
    """Edges at ``grid`` quantiles of ``sample`` (sorted), and their lookup table.

    A continuous column's edges are moved down to the fine grid (``8 * grid`` equal bins over
    the sample's range), so its bins follow from arithmetic and one table look-up per value;
    a column with repeated values keeps edges at its values (each row is compared with the
    edge in its fine bin), so a bin can hold a single value and add no uncertainty. When a
    linear fine grid would merge many edges (a long tail squeezes the bulk of the values into
    a few fine bins), the grid is laid over ``log1p`` of the distance from the median instead.

    Examples
    --------
    >>> lookup = quantile_lookup(np.arange(100.0), 4)
    >>> lookup.edges.tolist()
    [24.75, 49.5, 74.25]
    >>> lookup.bins(np.array([-5.0, 24.7, 24.75, 80.0, 1e9])).tolist()
    [0, 0, 1, 3, 3]
    >>> heavy = np.sort(np.exp(np.random.default_rng(0).normal(0, 4, 10_000)))
    >>> bool(quantile_lookup(heavy, 256).spread > 0), quantile_lookup(heavy, 256).edges.size
    (True, 189)
    """
    if sample.size == 0:
        sample = np.zeros(1)
    edges = np.unique(np.quantile(sample, np.arange(1, grid) / grid))
    size = FINE * grid
    discrete = bool(sample.size > 1 and np.any(sample[1:] == sample[:-1]))
    choices = [Lookup(edges, 0.0, 1.0, np.zeros(0), np.zeros(0), discrete)]
    q25, q50, q75 = np.quantile(sample, [0.25, 0.5, 0.75])
    spread = float(q75 - q25) / 2 or float(np.std(sample)) or 1.0
    for factor in (1.0, 1e-2, 1e-4):  # (the smaller, the more the grid follows decades of distance)
        choices.append(Lookup(edges, 0.0, 1.0, np.zeros(0), np.zeros(0), discrete, float(q50), spread * factor))
    best = None
    for choice in choices:
        t = choice.position(sample)
        low, high = float(t[0]), float(t[-1])
        scale = size / (high - low) if high > low else 1.0
        index = _fine_index(choice.position(edges), low, scale, size)
        kept = np.unique(index).size
        if best is None or kept > best[0] * 1.01:  # the log grid only when it keeps clearly more edges
            best = (kept, choice, low, scale, index)
    assert best is not None
    _, choice, low, scale, index = best
    first = np.r_[True, index[1:] != index[:-1]]  # two edges in one fine bin: keep the lower
    edges, index = edges[first], index[first]
    edge = np.full(size, np.inf)
    if discrete:  # repeated values: the edges are values, and a row is compared with the edge in its fine bin
        edge[index] = edges
        below = np.searchsorted(index, np.arange(size), side="left")  # edges in the fine bins before k
    else:  # each edge moved down to the start of its fine bin: the fine index alone finds the bin
        index = index[index > 0]  # (fine bin 0 also holds every value below the sample's)
        t = low + index / scale
        edges = t if not choice.spread else choice.center + np.copysign(np.expm1(np.abs(t)) * choice.spread, t)
        below = np.searchsorted(index, np.arange(size), side="right")
    return Lookup(edges, low, scale, below.astype(np.int64), edge, discrete, choice.center, choice.spread)


@dataclass(frozen=True)
class NumericCounts:
    """Per (window, bin) counts of one numeric column, and what else the report needs.

    ``single[i]`` says that every row of bin i (i >= 1) equals its lower edge: both ECDFs jump
    there at once, so the bin adds no uncertainty (a discrete column binned at its values).
    """

    counts: np.ndarray  # (2, bins) rows
    single: np.ndarray  # (bins,) bool
    minimum: float  # smallest value in the two windows
    maximum: float
    total: np.ndarray  # (2,) sum of the values per window
    square: np.ndarray  # (2,) sum of their squares
    missing: int  # missing values in the two windows
    infinite: int  # NaN or infinite values

    def intervals(self, lookup: Lookup) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts and edges of contiguous bins for the count-based tests: each bin clipped to
        the values' range, a single-valued bin as a point with an empty bin after it."""
        bins = lookup.edges.size + 1
        low = np.r_[self.minimum, lookup.edges]
        high = np.r_[lookup.edges, self.maximum]
        low, high = np.clip(low, self.minimum, self.maximum), np.clip(high, self.minimum, self.maximum)
        high = np.maximum(low, high)
        point = self.single & (self.counts.sum(axis=0) > 0)
        edges, reference, current = [low[0]], [], []
        for i in range(bins):
            if point[i]:
                edges += [low[i], high[i]]
                reference += [self.counts[0, i], 0.0]
                current += [self.counts[1, i], 0.0]
            else:
                edges.append(high[i])
                reference.append(self.counts[0, i])
                current.append(self.counts[1, i])
        return np.asarray(reference), np.asarray(current), np.maximum.accumulate(np.asarray(edges))


def _fold(lookup: Lookup, w: np.ndarray, bin_: np.ndarray, columns: dict[str, np.ndarray]) -> NumericCounts:
    """A :class:`NumericCounts` from a GROUP BY's rows (window, bin, rows, non-missing, min,
    max, sum, sum of squares); the bin is missing for missing and non-finite values."""
    bins = lookup.edges.size + 1
    rows, n = (np.asarray(columns[k], dtype=float) for k in ("_rows", "_n"))
    valid = ~np.asarray(_missing(bin_), dtype=bool)
    missing = int((rows - n).sum())
    infinite = int(n[~valid].sum())
    w = np.asarray(w, dtype=int)[valid]
    b = np.asarray([int(v) for v in np.asarray(bin_, dtype=object)[valid]], dtype=int)
    counts = np.zeros((2, bins))
    np.add.at(counts, (w, b), rows[valid])
    low, high = np.full(bins, np.inf), np.full(bins, -np.inf)
    np.minimum.at(low, b, np.asarray(columns["_lo"], dtype=float)[valid])
    np.maximum.at(high, b, np.asarray(columns["_hi"], dtype=float)[valid])
    total, square = np.zeros(2), np.zeros(2)
    np.add.at(total, w, np.asarray(columns["_s"], dtype=float)[valid])
    np.add.at(square, w, np.asarray(columns["_ss"], dtype=float)[valid])
    single = np.r_[False, (low[1:] == high[1:]) & (low[1:] == lookup.edges)] & lookup.discrete
    full = counts.sum(axis=0) > 0
    return NumericCounts(counts, single, float(low[full].min()) if full.any() else 0.0,
                         float(high[full].max()) if full.any() else 0.0, total, square, missing, infinite)


def _missing(values: Any) -> np.ndarray:
    mask = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else np.zeros(len(values), dtype=bool)
    data = np.ma.getdata(values) if np.ma.isMaskedArray(values) else np.asarray(values)
    return mask | np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in data.tolist()], dtype=bool)


def numeric_counts(log: LogFrame, frame: Any, column: str, lookup: Lookup) -> NumericCounts:
    """One numeric column's counts through narwhals (any engine): a ``GROUP BY`` (window, bin)
    with the lookup table joined in, returning rows, smallest and largest value and sums."""
    import narwhals as nw

    x = nw.col(column).cast(nw.Float64)
    t = x
    if lookup.spread:
        magnitude = ((x - lookup.center).abs() / lookup.spread + 1).log()
        t = nw.when(x - lookup.center >= 0).then(magnitude).otherwise(-magnitude)
    fine = ((t - lookup.low) * lookup.scale).floor().clip(0, lookup.size - 1)
    table = {"_k": np.arange(lookup.size, dtype=np.int64), "_b": lookup.below, "_e": lookup.edge}
    lut: Any = nw.from_dict(table, backend="pandas" if log.engine in ("dask", "pyspark", "duckdb") else
                            nw.get_native_namespace(frame))
    if isinstance(frame, nw.LazyFrame):
        session = getattr(nw.to_native(frame), "sparkSession", None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*narwhals-dask.*", category=FutureWarning)
            lut = lut.lazy(backend=log.frame.implementation, session=session) if session is not None \
                else lut.lazy(backend=log.frame.implementation)
    rows = frame.select(nw.col("_window"), x.alias("_x"),
                        nw.when(x.is_finite()).then(fine).otherwise(None).cast(nw.Int64).alias("_k"))
    joined = rows.join(lut, on="_k", how="left")
    binned = joined.with_columns((nw.col("_b") + (nw.col("_x") >= nw.col("_e")).cast(nw.Int64)).alias("_bin"),
                                 (nw.col("_x") * nw.col("_x")).alias("_x2"))
    out = log.collect(binned.group_by("_window", "_bin").agg(
        nw.len().alias("_rows"), nw.col("_x").count().alias("_n"), nw.col("_x").min().alias("_lo"),
        nw.col("_x").max().alias("_hi"), nw.col("_x").sum().alias("_s"), nw.col("_x2").sum().alias("_ss")))
    return _fold(lookup, out["_window"], out["_bin"], out)


def category_counts(log: LogFrame, frame: Any, sql: str | None, columns: list[str]) -> dict[str, tuple]:
    """For each categorical column: its values (text; None for missing) and a (2, k) table of rows."""
    import narwhals as nw

    found: dict[str, tuple] = {}
    if not columns:
        return found
    if sql is not None:
        names = [f"_c{j}" for j in range(len(columns))]
        select = ", ".join(f"{_quote(c)}::VARCHAR AS {n}" for c, n in zip(columns, names, strict=True))
        sets = ", ".join(f"(_w, {n})" for n in names)
        out = _sql(log, f"SELECT _w, {', '.join(names)}, GROUPING(" + ", ".join(names) + ") AS _g, count(*) AS _n "
                        f"FROM (SELECT _w, {select} FROM ({sql})) GROUP BY GROUPING SETS ({sets})")
        full = (1 << len(names)) - 1
        for j, (c, n) in enumerate(zip(columns, names, strict=True)):
            mine = np.asarray(out["_g"]) == full - (1 << (len(names) - 1 - j))
            values = np.ma.filled(out[n], None) if hasattr(out[n], "mask") else out[n]
            found[c] = _table(np.asarray(out["_w"])[mine], np.asarray(values, dtype=object)[mine],
                              np.asarray(out["_n"])[mine])
        return found
    for c in columns:
        out = log.collect(frame.select(nw.col("_window"), nw.col(c).alias("_value"))
                          .group_by("_window", "_value").agg(nw.len().alias("_n")))
        found[c] = _table(out["_window"], np.asarray(out["_value"], dtype=object), out["_n"])
    return found


def _table(window: np.ndarray, values: np.ndarray, n: np.ndarray) -> tuple[list, np.ndarray]:
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in values], dtype=bool)
    text = np.array([str(v) for v in values[~missing]], dtype=object)
    labels, inverse = np.unique(text, return_inverse=True) if text.size else (np.array([], object), np.array([], int))
    table = np.zeros((2, labels.size + 1))
    np.add.at(table, (np.asarray(window, dtype=int)[~missing], inverse), np.asarray(n, dtype=float)[~missing])
    table[:, -1] = np.bincount(np.asarray(window, dtype=int)[missing], weights=np.asarray(n, float)[missing],
                               minlength=2)[:2] if missing.any() else 0
    return [*labels.tolist(), None], table
