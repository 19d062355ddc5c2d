"""Any dataframe in, small aggregates out: the compatibility layer of :mod:`mlfail_widgets.audit`.

Every input (a pandas, polars or pyarrow table, a DuckDB relation, a Dask or PySpark dataframe,
or the path of a Parquet or CSV file) becomes a `narwhals <https://narwhals-dev.github.io>`_
frame over the *same* native object: narwhals translates one set of expressions into the
engine's own (pandas, polars, pyarrow, DuckDB SQL, Dask graphs, Spark SQL), so the aggregations
run where the data is and only their small results (counts per bin, per slice, per day) come
back as numpy arrays. A file is opened as a DuckDB relation (in-process, no server): DuckDB
reads only the columns a query needs, in streaming passes, so a log larger than memory works.
Nothing here converts a whole input to pandas.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import argument_helper, check_columns, parameter_error

__all__ = ["LogFrame", "as_log", "check_window_rows", "log_span", "window_bounds", "windows_apart"]

#: DuckDB's memory limit when the audit opens a file itself.
DUCKDB_MEMORY = "512MB"
_FILES = {".parquet": "read_parquet", ".pq": "read_parquet", ".csv": "read_csv", ".tsv": "read_csv"}


def _narwhals():
    import narwhals as nw

    return nw


def _duckdb_connection(threads: int | None = None):
    import duckdb

    connection = duckdb.connect()
    # A log read from files is streamed: DuckDB needs little memory for the audit's counts, and
    # these keep its buffers (and so the process's peak) small on any size of log.
    connection.execute(f"SET memory_limit='{DUCKDB_MEMORY}'")
    connection.execute("SET preserve_insertion_order=false")
    if threads:
        connection.execute(f"PRAGMA threads={int(threads)}")
    return connection


@dataclass
class LogFrame:
    """A log as a narwhals lazy frame, with what the audit functions need to know about it.

    ``frame`` is lazy (DuckDB, Dask, Spark, polars) or eager (pandas, pyarrow), never a copy
    of the data; ``engine`` is narwhals' name of the backend ("duckdb", "dask", "pyspark",
    "pandas", ...); ``columns`` the column names.
    """

    frame: Any
    engine: str
    columns: list
    schema: dict
    connection: Any = None  # the DuckDB connection a file was opened with (kept alive)
    parsed: set = field(default_factory=set)  # text time columns already checked to parse

    def check(self, names: str | list[str], parameter: str) -> list[str]:
        """``names`` (a str or list) checked against the log's columns, with "did you mean"."""
        return check_columns(self, names, parameter)

    def is_numeric(self, column: str) -> bool:
        dtype = self.schema[column]
        return bool(dtype.is_numeric()) and not self.is_boolean(column)

    def is_boolean(self, column: str) -> bool:
        return self.schema[column] == _narwhals().Boolean

    def is_temporal(self, column: str) -> bool:
        return bool(self.schema[column].is_temporal())

    def collect(self, query: Any) -> dict[str, np.ndarray]:
        """Run a (small) query in the engine; its columns as numpy arrays."""
        out = query.collect() if hasattr(query, "collect") else query
        return {name: _numpy(out[name]) for name in out.columns}


def _numpy(series) -> np.ndarray:
    values = series.to_numpy()
    if values.dtype == object and len(values) and not isinstance(values[0], str):
        try:  # DuckDB's HUGEINT sums come back as Decimal
            return values.astype(float)
        except (TypeError, ValueError):
            return values
    return values


@argument_helper
def as_log(data: Any, *, threads: int | None = None) -> LogFrame:
    """Wrap ``data`` (any supported dataframe, or a Parquet/CSV path) for the audit functions.

    Parameters
    ----------
    data : DataFrame, relation, or str or Path
        pandas, polars (eager or lazy), pyarrow Table, DuckDB relation, Dask or PySpark
        dataframe, or the path of a ``.parquet`` or ``.csv`` file (a glob such as
        ``"logs/*.parquet"`` works too), opened with DuckDB.
    threads : int, optional
        DuckDB threads for a file (default: DuckDB's, all cores).

    Examples
    --------
    >>> import pandas as pd
    >>> log = as_log(pd.DataFrame({"x": [1.0, 2.0]}))
    >>> log.engine, log.columns
    ('pandas', ['x'])
    >>> as_log([1, 2])
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'data' parameter of as_log must be a dataframe (pandas, polars, pyarrow, DuckDB, Dask, PySpark) or the path of a .parquet/.csv file. Got [1, 2] instead. Load your log with e.g. pandas.read_parquet(path), or pass the path itself.
    """
    nw = _narwhals()
    connection = None
    if isinstance(data, LogFrame):
        return LogFrame(data.frame, data.engine, data.columns, data.schema, data.connection)
    if isinstance(data, (str, Path)):
        path = Path(data)
        reader = _FILES.get(path.suffix.lower())
        if reader is None:
            raise parameter_error("data", "a .parquet or .csv file (or a dataframe)", str(data),
                                  fix="Convert the log to Parquet, or load it yourself and pass the dataframe.")
        if not any(c in str(data) for c in "*?[") and not path.is_file():
            raise parameter_error("data", "the path of an existing file", str(data),
                                  fix="Check the path (relative paths start in the notebook's folder).")
        connection = _duckdb_connection(threads)
        data = getattr(connection, reader)(str(data))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*narwhals-dask.*", category=FutureWarning)
        try:
            frame = nw.from_native(data)
        except TypeError:
            raise parameter_error(
                "data",
                "a dataframe (pandas, polars, pyarrow, DuckDB, Dask, PySpark) or the path of a .parquet/.csv file",
                data, fix="Load your log with e.g. pandas.read_parquet(path), or pass the path itself.") from None
    if isinstance(frame, nw.Series):
        raise parameter_error("data", "a dataframe with named columns (not a series)",
                              type(data).__name__, fix="Pass series.to_frame() or the whole table.")
    schema = dict(frame.collect_schema())
    engine = str(frame.implementation).lower().replace("implementation.", "")
    return LogFrame(frame, engine, list(schema), schema, connection)


def _timestamp(value: Any, parameter: str):
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = None
    if stamp is None or stamp is pd.NaT:
        raise parameter_error(parameter, "a pair (start, end) of dates or timestamps", value,
                              fix="Write e.g. ('2026-01-01', '2026-01-08'): start included, end excluded.")
    return stamp


@argument_helper
def window_bounds(window: Any, parameter: str) -> tuple:
    """``(start, end)`` of a window as two pandas Timestamps, start < end.

    Examples
    --------
    >>> window_bounds(("2026-01-01", "2026-01-08"), "reference")
    (Timestamp('2026-01-01 00:00:00'), Timestamp('2026-01-08 00:00:00'))
    >>> window_bounds(("2026-01-08", "2026-01-01"), "reference")
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'reference' parameter of window_bounds must be a window (start, end) with start before end. Got ('2026-01-08', '2026-01-01') instead. The start is included, the end excluded.
    """
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise parameter_error(parameter, "a pair (start, end) of dates or timestamps", window,
                              fix="Write e.g. ('2026-01-01', '2026-01-08'): start included, end excluded.")
    start, end = (_timestamp(v, parameter) for v in window)
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    if end.tzinfo is not None:
        end = end.tz_convert("UTC").tz_localize(None)
    if not start < end:
        raise parameter_error(parameter, "a window (start, end) with start before end", tuple(window),
                              fix="The start is included, the end excluded.")
    return start, end


_ISO_TEXT = r"^\s*\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?\s*$"
_EAGER = ("pandas", "polars", "pyarrow", "modin", "cudf")


def _unparsed(log: LogFrame, column: str) -> tuple[int, list, list[int] | None]:
    """(how many, up to three, their row positions or None) of the values of a text column
    that do not parse as timestamps.

    An eager frame (in memory already) is parsed here with pandas' ISO-8601 parser, which also
    catches impossible dates ('2026-04-31'), and the rows are positions (0-based); a lazy one
    is scanned in its engine for text that does not look like ISO-8601 (no row order there).
    """
    import pandas as pd

    nw = _narwhals()
    if log.engine in _EAGER and hasattr(log.frame, "get_column"):
        values = pd.Series(log.frame.get_column(column).to_numpy(), dtype=object)
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
        bad = np.flatnonzero(parsed.isna().to_numpy() & values.notna().to_numpy())
        return int(bad.size), [values.iloc[i] for i in bad[:3]], [int(i) for i in bad[:3]]
    text = nw.col(column)
    odd = ~text.str.contains(_ISO_TEXT) & ~text.is_null()
    count = log.collect(log.frame.select(odd.cast(nw.Int64).sum().alias("n")))["n"]
    shown = log.collect(log.frame.filter(odd).select(text.alias("v")).head(3))["v"]
    return int(count[0] or 0) if len(count) else 0, [str(v) for v in shown], None


def _parse_error(log: LogFrame, column: str, parameter: str, error: Exception) -> Exception:
    """The clear error for a text time column that does not parse: the offending values, where."""
    count, shown, rows = _unparsed(log, column)
    if count:
        where = (f" at row{'s' if len(rows) > 1 else ''} {', '.join(f'{r:,}' for r in rows)} (counting from 0)"
                 if rows is not None else "")
        found = (f"{count:,} value{'s' if count > 1 else ''} do{'es' if count == 1 else ''} not parse as a date, "
                 f"e.g. {', '.join(repr(v) for v in shown)}{where}")
    else:  # the engine refused a value our check lets through: say what the engine said
        found = f"the engine could not parse it ({type(error).__name__}: {str(error).splitlines()[0][:200]})"
    return parameter_error(
        parameter, "a column of timestamps (or ISO-8601 text such as '2026-01-31 12:00:00')", column,
        fix=f"In {column!r}, {found}. Fix or drop those rows, or convert the column first, e.g. "
        f"pandas.to_datetime(log[{column!r}], format=..., errors='coerce').")


def timestamp_expression(log: LogFrame, column: str, parameter: str = "timestamp") -> Any:
    """A narwhals expression for ``column`` as a naive datetime (UTC if it had a time zone).

    A text column is parsed in the engine (DuckDB casts ISO-8601 text); the whole column is
    checked once per log, and values that do not parse are a ParameterError naming the column
    and showing them (with their rows, for a table in memory).
    """
    nw = _narwhals()
    log.check(column, parameter)
    dtype = log.schema[column]
    expression = nw.col(column)
    if dtype.is_temporal():
        if getattr(dtype, "time_zone", None):
            expression = expression.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return expression
    if dtype == nw.String:
        # narwhals' DuckDB backend needs a format to parse; DuckDB's own cast reads ISO-8601
        parsed = expression.cast(nw.Datetime()) if log.engine == "duckdb" else expression.str.to_datetime()
        if column in log.parsed:
            return parsed
        try:
            nulls = log.collect(log.frame.select(parsed.is_null().cast(nw.Int64).sum().alias("p"),
                                                 expression.is_null().cast(nw.Int64).sum().alias("t")))
        except Exception as error:  # the engines raise their own errors for text that does not parse
            raise _parse_error(log, column, parameter, error) from None
        if int(nulls["p"][0] or 0) > int(nulls["t"][0] or 0):  # an engine that turned bad text into nulls
            raise _parse_error(log, column, parameter, ValueError("unparsed values became nulls"))
        log.parsed.add(column)
        return parsed
    raise parameter_error(parameter, "a column of timestamps or of ISO-8601 date text", column,
                          fix=f"It has type {dtype}. Convert it first, e.g. pandas.to_datetime(log[{column!r}], unit='s').")


def log_span(log: LogFrame, timestamp: str) -> tuple[str, str] | None:
    """The first and last time of the log's ``timestamp`` column (None for an empty log)."""
    import pandas as pd

    t = timestamp_expression(log, timestamp)
    out = log.collect(log.frame.select(t.min().alias("a"), t.max().alias("b")))
    if not len(out["a"]) or pd.isna(out["a"][0]):
        return None
    return str(pd.Timestamp(out["a"][0])), str(pd.Timestamp(out["b"][0]))


def windows_apart(windows: dict) -> dict:
    """Each window of ``windows`` (parameter name -> (start, end)) as two Timestamps, checked,
    and no two sharing a moment: a ParameterError names the later parameter otherwise.

    Every audit function that compares two windows of a log uses this: a row in both would be
    compared with itself, and the comparison would understate any change.

    Examples
    --------
    >>> windows_apart({"reference": ("2026-01-01", "2026-01-11"), "current": ("2026-01-05", "2026-01-15")})
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'current' parameter of windows_apart must be a window that does not overlap 'reference' ('2026-01-01 00:00:00', '2026-01-11 00:00:00'). Got ('2026-01-05 00:00:00', '2026-01-15 00:00:00') instead. Pick windows that do not share rows: e.g. start 'current' at '2026-01-11 00:00:00', where 'reference' ends (the end is excluded).
    """
    bounds = {parameter: window_bounds(window, parameter) for parameter, window in windows.items()}
    names = list(bounds)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            (a, b), (c, d) = bounds[first], bounds[second]
            if a < d and c < b:
                raise parameter_error(second, f"a window that does not overlap {first!r} {(str(a), str(b))}",
                                      (str(c), str(d)),
                                      fix=f"Pick windows that do not share rows: e.g. start {second!r} at "
                                      f"'{b}', where {first!r} ends (the end is excluded).")
    return bounds


def check_window_rows(log: LogFrame, timestamp: str, bounds: dict, rows: dict, *, minimum: int = 1,
                      setting: str = "", span: tuple | None = None) -> None:
    """Refuse a window with fewer than ``minimum`` rows of the log, naming it and the dates the
    log covers (``span``, or one query for them).

    ``bounds`` maps each window's parameter name to its (start, end), ``rows`` to its row count;
    ``setting`` names the option that set ``minimum`` (e.g. "min_rows"), if any.
    """
    for name, (start, end) in bounds.items():
        held = int(rows[name])
        if held >= minimum:
            continue
        covered = span if span is not None else log_span(log, timestamp)
        where = ("The log has no rows" if covered is None else
                 f"The log's {timestamp!r} runs from '{covered[0]}' to '{covered[1]}'")
        need = f"at least {minimum} rows" + (f" ({setting})" if setting else "") if minimum > 1 else "rows"
        raise parameter_error(
            name, f"a window with {need}", (str(start), str(end)),
            fix=f"It holds {held} rows of the log. {where}: pick dates inside it, or widen the window.")


def window_expression(log: LogFrame, timestamp: str, windows: dict, *, name: str = "_window") -> tuple[Any, dict]:
    """An integer expression: the index of the window each row falls in (null outside all)."""
    nw = _narwhals()
    t = timestamp_expression(log, timestamp)
    bounds = windows_apart(windows)
    expression: Any = None
    for index, (start, end) in reversed(list(enumerate(bounds.values()))):
        inside = (t >= nw.lit(start.to_pydatetime())) & (t < nw.lit(end.to_pydatetime()))
        step = nw.when(inside).then(nw.lit(index))
        expression = step if expression is None else step.otherwise(expression)
    return expression.alias(name), bounds


def windowed(log: LogFrame, frame: Any, timestamp: str, windows: dict) -> tuple[Any, dict]:
    """``frame`` restricted to the rows of the windows, with their index in a ``_window`` column.

    The restriction is a plain filter on the time column (a range per window, merged when two
    windows touch), so an engine that reads Parquet skips the row groups outside the windows;
    the index then needs one comparison per row for two windows.
    """
    nw = _narwhals()
    expression, bounds = window_expression(log, timestamp, windows)  # validates, refuses overlaps
    t = timestamp_expression(log, timestamp)
    ordered = sorted(range(len(bounds)), key=lambda i: list(bounds.values())[i][0])
    spans = [list(bounds.values())[i] for i in ordered]
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    keep = None
    for start, end in merged:
        inside = (t >= nw.lit(start.to_pydatetime())) & (t < nw.lit(end.to_pydatetime()))
        keep = inside if keep is None else keep | inside
    if len(ordered) == 1:
        index = nw.lit(0)
    elif len(ordered) == 2:
        later = t >= nw.lit(spans[1][0].to_pydatetime())
        index = later.cast(nw.Int64) if ordered == [0, 1] else (~later).cast(nw.Int64)
    else:
        return frame.with_columns(expression).filter(~nw.col("_window").is_null()), bounds
    return frame.filter(keep).with_columns(index.alias("_window")), bounds
