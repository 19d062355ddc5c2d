"""What every benchmark script shares: repeat and summarise, alternate with a peer, rows, table, main.

A script ``benchmarks/<name>.py`` times its figures with :func:`timed` (or :func:`alternate`
against a peer, so that a busy moment of the shared machine hits both sides alike), turns
each list of measurements into a row with :func:`row`, returns the rows from
``run(quick=False)`` and ends with ``sys.exit(main(run, __doc__))``, which parses ``--quick``,
runs and prints :func:`text_table`. ``run_all.py`` collects the same rows into one table.

A row is a dict: ``benchmark`` (the script), ``figure``, ``median``, ``min``, ``max``, ``p95``,
``unit``, ``repeats``, ``target`` (text), ``ok`` (True, False, or None when there is nothing to
judge) and, against a peer, ``peer``, ``peer_median`` and ``ratio``: the peer's median time over
ours (above 1: ours is faster), unless ``ratio_kind`` is ``"cost"`` (ours over the peer's).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the package is importable
    sys.path.insert(0, str(ROOT))

__all__ = ["HERE", "PEAK_RSS_SOURCE", "ROOT", "Seconds", "alternate", "clock", "format_ratio", "format_value", "main",
           "peak_rss_bytes", "percentile", "ratio_row", "row", "stats", "text_table", "timed", "unavailable_row"]


# --------------------------------------------------------------------------- measuring
def clock(function: Callable[[], Any]) -> tuple[float, Any]:
    """Call ``function`` once; return (wall seconds, its value)."""
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` calls of ``function``."""
    return [clock(function)[0] for _ in range(repeat)]


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far, in bytes: Linux's ``VmHWM``.

    Not ``ru_maxrss``: Linux carries it over from the parent through fork and exec, so a child
    started by a 500 MB process (``run_all``) reports at least 500 MB whatever it does. Without
    ``/proc`` (macOS), ``ru_maxrss`` is what there is. A benchmark's child interpreter gets this
    function from :data:`PEAK_RSS_SOURCE`.
    """
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
    except (OSError, StopIteration):
        import resource
        import sys as _sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if _sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


#: The source of :func:`peak_rss_bytes`, to define it in a child interpreter (``python -c``)
#: whose peak memory a benchmark reports: ``CHILD = PEAK_RSS_SOURCE + "...peak_rss_bytes()..."``.
PEAK_RSS_SOURCE = inspect.getsource(peak_rss_bytes)


class Seconds(float):
    """A time a side measured itself (a peer timing only its own call inside its process).

    Return it from a side given to :func:`alternate` to report that time instead of the wall
    time of the whole call (process start, data transfer).
    """


def alternate(sides: Mapping[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Measure several sides in turns, the order rotating each round.

    Each side does one run per call; its wall time is recorded, unless it returns
    :class:`Seconds`. Round ``i`` starts with side ``i mod n``, so no side always runs first
    (warm caches) and a busy moment of the shared machine hits all of them alike.
    """
    names = list(sides)
    out: dict[str, list[float]] = {name: [] for name in names}
    for i in range(repeat):
        for name in names[i % len(names):] + names[:i % len(names)]:
            seconds, value = clock(sides[name])
            out[name].append(float(value) if isinstance(value, Seconds) else seconds)
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile with linear interpolation (numpy's default), without numpy."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stats(values: Sequence[float]) -> dict:
    """Median, min, max, 95th percentile and count of a list of measurements."""
    values = [float(v) for v in values]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "p95": percentile(values, 95), "repeats": len(values)}


# --------------------------------------------------------------------------- rows
def _limit_text(limit: float, unit: str) -> str:
    if unit == "s" and limit < 1:
        return f"< {limit * 1000:g} ms"
    return f"< {limit:g}{unit}" if unit == "x" else f"< {limit:g} {unit}".rstrip()


def row(benchmark: str, figure: str, values: Sequence[float], *, unit: str = "s",
        limit: float | None = None, target: str | None = None, ok: bool | None = None,
        **extra: Any) -> dict:
    """One row of the table: the statistics of ``values`` and the verdict.

    ``limit`` is a budget on the median: it sets ``target`` ("< 100 ms") and ``ok`` unless
    those are given, and is kept as ``budget``. Without a limit, ``target`` and ``ok`` are as given (``ok=None``: the
    row is reported, not judged).
    """
    out = {"benchmark": benchmark, "figure": figure, **stats(values), "unit": unit}
    if limit is not None:
        target = target or _limit_text(limit, unit)
        ok = out["median"] < limit if ok is None else ok
        out["budget"] = limit  # the median's budget, for the chart
    out["target"] = target or "report"
    out["ok"] = None if ok is None else bool(ok)
    out.update(extra)
    return out


def ratio_row(benchmark: str, figure: str, ours: Sequence[float], theirs: Sequence[float], peer: str, *,
              at_least: float | None = None, target: str | None = None, ok: bool | None = None,
              **extra: Any) -> dict:
    """A row for our times against a peer's measured alternately: ratio = their median / ours.

    ``at_least`` is the speed-up the issue asks for (sets ``target`` and ``ok`` unless given;
    kept as ``ratio_target``).
    """
    ratio = statistics.median(theirs) / statistics.median(ours)
    pairs = [t / o for o, t in zip(ours, theirs, strict=False) if o > 0]
    if at_least is not None:
        target = target or f">= {at_least:g}x faster than {peer}"
        ok = (ratio >= at_least) if ok is None else ok
        extra["ratio_target"] = at_least
    return row(benchmark, figure, ours, target=target, ok=ok, peer=peer,
               peer_median=statistics.median(theirs), peer_min=min(theirs), peer_max=max(theirs),
               ratio=ratio, ratio_min=min(pairs, default=ratio), ratio_max=max(pairs, default=ratio),
               **extra)


def unavailable_row(benchmark: str, figure: str, peer: str, error: BaseException | str, *,
                    ours: Sequence[float] = (), target: str | None = None, **extra: Any) -> dict:
    """A row for a comparison whose peer would not install or run: its error, never a silent skip.

    ``ours`` (our times, if measured) fill the statistics; ``ok`` is None (nothing to judge).
    """
    reason = getattr(error, "reason", None) or str(error)
    if ours:
        return row(benchmark, figure, ours, target=target, peer=peer, peer_error=reason, **extra)
    return {"benchmark": benchmark, "figure": figure, "median": None, "min": None, "max": None,
            "unit": "s", "target": target or "report", "ok": None, "peer": peer, "peer_error": reason,
            **extra}


# --------------------------------------------------------------------------- printing
def format_value(value: Any, unit: str = "s") -> str:
    """A measurement for the table: seconds below 1 in ms, three significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if not isinstance(value, (int, float)):
        return str(value)
    if unit == "s" and abs(value) < 1:
        return f"{value * 1000:.3g} ms"
    if unit == "x":
        return f"{value:.3g}x"
    return f"{value:.3g} {unit}".strip() if isinstance(value, float) else f"{value:,} {unit}".strip()


def format_ratio(r: dict) -> str:
    """The peer column: what the ratio means, or why there is none."""
    peer, ratio = r.get("peer"), r.get("ratio")
    if not peer:
        return "-"
    if not isinstance(ratio, (int, float)) or math.isnan(ratio):
        error = r.get("peer_error")
        return f"{peer}: unavailable ({error.splitlines()[-1][:80]})" if error else "-"
    if r.get("ratio_kind") == "cost":
        return f"{ratio:.2f}x the time of {peer}"
    if ratio >= 1:
        return f"{ratio:.3g}x faster than {peer}"
    return f"{1 / ratio:.3g}x slower than {peer}"


def _verdict(r: dict) -> str:
    return {True: "pass", False: "FAIL", None: "-"}[r.get("ok")]


def text_table(rows: Sequence[dict]) -> str:
    """The rows as an aligned plain-text table (what each script prints)."""
    header = ["figure", "median", "p95", "min", "max", "target", "vs peer", "result"]
    lines = [[r.get("figure", ""), *(format_value(r.get(k), r.get("unit", "s")) for k in ("median", "p95", "min", "max")),
              str(r.get("target", "-")), format_ratio(r), _verdict(r)] for r in rows]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    out = []
    for cells in [header, *lines]:
        out.append("  ".join(str(c).ljust(w) if i in (0, 5, 6) else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip())
    notes = [f"  {r['figure']}: {r['note']}" for r in rows if r.get("note")]
    errors = [f"  {r['figure']}: {r.get('peer_error') or r.get('error')}" for r in rows
              if r.get("peer_error") or r.get("error")]
    if notes:
        out += ["", "notes:", *notes]
    if errors:
        out += ["", "errors:", *errors]
    return "\n".join(out)


# --------------------------------------------------------------------------- the command line
def main(run: Callable[..., list[dict]], doc: str | None, argv: Sequence[str] | None = None, *,
         arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> int:
    """Parse ``--quick`` (and the script's own ``arguments``), run, print the table.

    Parsed options are passed to ``run`` by name when it accepts them. Returns 1 when a
    figure misses its target, 0 otherwise (for ``sys.exit``).
    """
    parser = argparse.ArgumentParser(description=(doc or "").strip().split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows to PATH (run_all.py reads them)")
    if arguments:
        arguments(parser)
    options = vars(parser.parse_args(argv))
    accepted = inspect.signature(run).parameters
    started = time.perf_counter()
    rows = run(**{k: v for k, v in options.items() if k in accepted})
    if options["json"]:
        Path(options["json"]).write_text(json.dumps(rows, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    print(text_table(rows))
    print(f"({len(rows)} rows in {time.perf_counter() - started:.1f} s)")
    return 0 if all(r.get("ok") is not False for r in rows) else 1
