"""Run every benchmark in this folder and print one table (``make bench``).

Each script ``benchmarks/<name>.py`` exposes ``run(quick=False) -> list[dict]``; a row holds
``benchmark`` (the script), ``figure``, ``median``, ``min``, ``max`` (``p95`` too), ``unit``,
``target`` and ``ok``, and, against a peer measured in turns in the same run, ``peer`` and
``ratio`` (see ``_common.py``). This runner writes ``build/bench/results.json`` (every row with
all its fields, the machine, the load), ``build/bench/results.md`` and a chart
``build/bench/results.png``, and with ``--update-readme`` replaces the table between the bench
markers of ``benchmarks/README.md`` (the project's README quotes a few key figures from it, with
their date; ``tests/test_readme_numbers.py`` checks them against the table).
``scaling.py`` also draws ``build/bench/scaling.png``.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--update-readme]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, ROOT, format_ratio, format_value

OUT = ROOT / "build" / "bench"
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
BUSY = 2.0  # a 1-minute load average above this on the 2-core machine: timings are noisy


def machine() -> dict:
    """What the numbers were measured on."""
    import psutil

    frequency = None
    with contextlib.suppress(Exception):
        frequency = psutil.cpu_freq()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "processor": platform.processor() or platform.machine(),
        "logical_cpus": psutil.cpu_count(logical=True),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "cpu_mhz": round(frequency.current) if frequency and frequency.current else None,
        "date": time.strftime("%Y-%m-%d"),
    }


#: Issue 10's figures first, in its order; then the chapters' own scripts.
ORDER = ["course_time", "widget_latency", "import_time", "drift_detection", "drift_peers", "streaming_detection",
         "streaming_peers", "feedback_loop", "scaling", "book", "room", "audit_scale", "audit_peers"]


def scripts(only: list[str] | None) -> list[Path]:
    found = [p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.stem != "run_all"]
    found.sort(key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    if only:
        found = [p for p in found if p.stem in only]
    return found


def run_script(path: Path, quick: bool) -> list[dict]:
    """Run one script in a fresh interpreter and read its rows back.

    A fresh process per script: no heap, thread or import left by an earlier script slows a
    later one's figures. Its own table is not shown (this runner prints them all at the end);
    its errors are.
    """
    with tempfile.TemporaryDirectory(prefix="mlfail-bench-") as folder:
        rows = Path(folder) / "rows.json"
        command = [sys.executable, str(path), "--json", str(rows), *(["--quick"] if quick else [])]
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
        if not rows.exists():
            raise RuntimeError(f"{path.name} exited with code {done.returncode} before writing its rows "
                               "(its error is printed above)")
        return json.loads(rows.read_text())


def _p95(row: dict) -> str:
    """The 95th percentile where there are enough measurements for it to differ from the max."""
    return format_value(row.get("p95"), row.get("unit", "s")) if row.get("repeats", 0) >= 10 else "-"


def table(rows: list[dict]) -> str:
    """A Markdown table of all rows; the first column names the script that produced the row."""
    lines = ["| script | figure | median | p95 | min | max | target | vs peer (same run, in turns) | ok |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        unit = row.get("unit", "s")
        ok = {True: "yes", False: "**no**", None: "-"}[row.get("ok")]
        figure = str(row["figure"]).replace("|", "/")
        lines.append(f"| {row['benchmark']}.py | {figure} | {format_value(row.get('median'), unit)} | "
                     f"{_p95(row)} | {format_value(row.get('min'), unit)} | {format_value(row.get('max'), unit)} | "
                     f"{row.get('target', '-')} | {format_ratio(row)} | {ok} |")
    return "\n".join(lines)


def _label(row: dict, width: int = 72) -> str:
    text = f"{row['benchmark']}: {row['figure']}"
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def chart(rows: list[dict], path: Path) -> None:
    """Two panels: each budgeted figure's median as a share of its budget, each peer's speed-up.

    Budgets range from milliseconds to minutes, so the first panel divides each median by its
    own budget (1 = on the budget; left of the line passes). The second shows how many times
    faster ours is than each peer, with the issue's target where there is one.
    """
    import matplotlib

    matplotlib.use("Agg")
    from mlfail_widgets.plots import new_figure, render_png, style

    def number(value) -> bool:
        return isinstance(value, (int, float)) and value == value

    budgeted = [r for r in rows if number(r.get("budget")) and number(r.get("median"))]
    peers = [r for r in rows if number(r.get("ratio")) and r.get("ratio_kind") != "cost"]
    if not budgeted and not peers:
        return
    panels = [(name, part) for name, part in (("budget", budgeted), ("peers", peers)) if part]
    with style.context():
        fig, axes = new_figure((11, 0.2 * (len(budgeted) + len(peers)) + 2.2 * len(panels)), nrows=len(panels),
                               gridspec_kw={"height_ratios": [len(part) + 4 for _, part in panels]})
        axes = [axes] if len(panels) == 1 else list(axes)
        for ax, (name, part) in zip(axes, panels, strict=True):
            y = range(len(part))
            colours = [style.ALARM if r.get("ok") is False else style.GOOD if r.get("ok") else style.MUTED
                       for r in part]
            if name == "budget":
                values = [max(r["median"] / r["budget"], 1e-4) for r in part]
                ax.barh(y, values, color=colours, height=0.7)
                ax.axvline(1, color=style.NEUTRAL, linestyle="--", linewidth=1.2)
                ax.set_xlabel("median / its budget (log scale; 1 = on budget, left of the line passes)")
                ax.set_title("Each figure against its budget")
            else:
                values = [r["ratio"] for r in part]
                ax.barh(y, values, color=colours, height=0.7)
                targets = [(i, r["ratio_target"]) for i, r in enumerate(part) if number(r.get("ratio_target"))]
                if targets:
                    ax.scatter([t for _, t in targets], [i for i, _ in targets], marker="|", s=200,
                               linewidths=2, color=style.NEUTRAL, zorder=3)
                ax.axvline(1, color=style.NEUTRAL, linewidth=0.8)
                for i, r in enumerate(part):
                    ax.text(max(values[i], 1) * 1.05, i, f"{values[i]:.3g}x {str(r.get('peer', ''))[:34]}",
                            va="center", fontsize=7.5, color=style.NEUTRAL)
                ax.set_xlim(min(0.5, min(values) / 2), max(values) * 12)  # room for the labels
                ax.set_xlabel("times faster than the peer (log scale; above 1 = ours is faster; "
                              "tick: the issue's target)")
                ax.set_title("Against the tools a learner would otherwise use (measured in turns)")
            ax.set_yticks(list(y), [_label(r) for r in part], fontsize=7.5)
            ax.set_ylim(len(part) - 0.5, -0.5)
            ax.set_xscale("log")
            ax.grid(axis="y", visible=False)
        fig.suptitle("mlfail benchmarks (make bench): blue passes, vermillion misses, grey is reported only")
    path.write_bytes(render_png(fig))


BENCH_README = HERE / "README.md"


DATES = "<!-- bench:dates "  # per-script run dates, kept in the README so partial runs stay honest


def _previous(text: str) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    """The table rows, notes and run dates already in the README, by script name."""
    import re

    body = text.split(README_START, 1)[1].split(README_END, 1)[0]
    header_date = re.search(r"Measured by `make bench`(?: --quick)? on (\d{4}-\d\d-\d\d)", body)
    dates: dict[str, str] = {}
    if DATES in body:
        dates = json.loads(body.split(DATES, 1)[1].split("-->", 1)[0])
    rows: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    for line in body.splitlines():
        row = re.match(r"\| (\w+)\.py \|", line)
        note = re.match(r"- (\w+)\.py, ", line)
        for match, into in ((row, rows), (note, notes)):
            if match:
                into.setdefault(match.group(1), []).append(line)
                if header_date:
                    dates.setdefault(match.group(1), header_date.group(1))
    return rows, notes, dates


def merged_text(header: str, rows: list[dict], notes: list[str], previous: str | None, today: str) -> str:
    """The README's table text: this run's rows, plus, for a partial run (``--only``), every other
    script's rows from the table already there, each script with the date it was measured on.

    >>> old = (f"{README_START}\\nMeasured by `make bench` on 2026-01-01: x.\\n\\n"
    ...        "| script | figure |\\n|---|---|\\n| a.py | old a |\\n| b.py | old b |\\n{README_END}")
    >>> new = merged_text("Measured by `make bench` on 2026-02-02: y.", [{"benchmark": "a", "figure": "new a"}],
    ...                   [], old, "2026-02-02")
    >>> "old a" in new, "old b" in new, "2026-01-01 (b.py)" in new
    (False, True, True)
    """
    ran = {r["benchmark"] for r in rows}
    table_lines = table(rows).splitlines()
    dates = {name: today for name in ran}
    kept_notes: list[str] = []
    if previous is not None and README_START in previous:
        old_rows, old_notes, old_dates = _previous(previous)
        kept = [name for name in old_rows if name not in ran]
        order = {name: i for i, name in enumerate(ORDER)}
        by_script: dict[str, list[str]] = {}
        for line in table_lines[2:]:
            by_script.setdefault(line.split(".py |", 1)[0].strip("| "), []).append(line)
        for name in kept:
            by_script[name] = old_rows[name]
            dates[name] = old_dates.get(name, "an earlier run")
            kept_notes.extend(old_notes.get(name, []))
        names = sorted(by_script, key=lambda n: (order.get(n, len(order)), n))
        table_lines = table_lines[:2] + [line for n in names for line in by_script[n]]
        if kept:
            earlier: dict[str, list[str]] = {}
            for name in kept:
                earlier.setdefault(dates[name], []).append(f"{name}.py")
            header += (" This run re-measured " + ", ".join(f"{n}.py" for n in sorted(ran)) +
                       "; the other rows keep the date of the run that measured them: " +
                       "; ".join(f"{d} ({', '.join(sorted(n))})" for d, n in sorted(earlier.items())) + ".")
    all_notes = notes + kept_notes
    return (f"{header}\n\n" + "\n".join(table_lines) +
            ("\n\nNotes:\n\n" + "\n".join(all_notes) if all_notes else "") +
            f"\n\n{DATES}{json.dumps(dict(sorted(dates.items())))} -->")


def update_readme(markdown: str, readme: Path = BENCH_README) -> None:
    """Write the table between the bench markers of ``benchmarks/README.md``."""
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        print(f"{readme} has no bench markers; not updated.", file=sys.stderr)
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{markdown}\n{README_END}{tail}")
    print(f"Table written to {readme.relative_to(ROOT)}. The key figures the README quotes are from the run "
          "its 'Key figures from the run of' line names: update them (and that date) if they moved.")


def _load() -> float | None:
    with contextlib.suppress(AttributeError, OSError):
        return round(os.getloadavg()[0], 2)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--only", nargs="*", help="script names to run (without .py)")
    parser.add_argument("--update-readme", action="store_true", help="write the table into benchmarks/README.md")
    args = parser.parse_args(argv)

    rows: list[dict] = []
    failures = []
    loads = [_load()]
    seconds = {}
    started = time.perf_counter()
    for path in scripts(args.only):
        print(f"== {path.name} (load {loads[-1]})", flush=True)
        start = time.perf_counter()
        try:
            produced = run_script(path, args.quick)
        except Exception as error:  # a broken benchmark is reported, not hidden
            traceback.print_exc()
            failures.append(path.stem)
            produced = [{"benchmark": path.stem, "figure": "script failed", "ok": False,
                         "error": f"{type(error).__name__}: {error}"}]
        for row in produced:
            row.setdefault("benchmark", path.stem)
            row["script"] = f"benchmarks/{path.name}"
        rows.extend(produced)
        seconds[path.stem] = round(time.perf_counter() - start, 1)
        loads.append(_load())
        print(f"   {len(produced)} rows in {seconds[path.stem]:.1f} s", flush=True)

    info = machine()
    known = [x for x in loads if x is not None]
    info.update(load_average_1min=loads, load_max=max(known, default=None), quick=args.quick,
                total_seconds=round(time.perf_counter() - started, 1), script_seconds=seconds)
    OUT.mkdir(parents=True, exist_ok=True)
    markdown = table(rows)
    busy = ""
    if known and max(known) > BUSY:
        busy = (f" The machine was shared during this run (1-minute load average up to {max(known):.1f} on "
                f"{info['logical_cpus']} CPUs), so times are noisy; ratios, measured in turns, less so.")
    header = (f"Measured by `make bench`{' --quick' if args.quick else ''} on {info['date']}: Python "
              f"{info['python']}, {info['logical_cpus']} logical CPUs, {info['memory_gb']} GB RAM, "
              f"{info['platform']}.{busy}")
    notes = [f"- {r['benchmark']}.py, {r['figure']}: {r.get('note') or r.get('error') or r.get('peer_error')}"
             for r in rows if r.get("note") or r.get("error") or r.get("peer_error")]
    text = header + "\n\n" + markdown + ("\n\nNotes:\n\n" + "\n".join(notes) if notes else "")
    # --only with --update-readme replaces those scripts' rows and keeps the others, dated
    readme_text = merged_text(header, rows, notes, BENCH_README.read_text() if args.only else None, info["date"])
    (OUT / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2, default=str))
    (OUT / "results.md").write_text(text + "\n")
    chart(rows, OUT / "results.png")
    print()
    print(text)
    print(f"\nWritten: {OUT / 'results.json'}, {OUT / 'results.md'}, {OUT / 'results.png'} "
          f"({info['total_seconds']:.0f} s in all)")
    if args.update_readme:
        update_readme(readme_text)
    missed = [r for r in rows if r.get("ok") is False]
    if missed:
        print(f"\n{len(missed)} figure(s) miss their target or failed.", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
