"""Run every benchmark in this folder and print one table (``make bench``).

Each script ``benchmarks/<name>.py`` exposes ``run(quick=False) -> list[dict]``; a row holds
``benchmark`` (the script), ``figure``, ``median``, ``min``, ``max``, ``unit``, ``target`` and
``ok``, and, against a peer, ``peer`` and ``ratio``. This runner writes
``build/bench/results.json``, ``build/bench/results.md`` and a chart ``build/bench/results.png``,
and with ``--update-readme`` replaces the table between the README's bench markers.

    python benchmarks/run_all.py [--quick] [--only NAME ...] [--update-readme]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "build" / "bench"
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def machine() -> dict:
    """What the numbers were measured on."""
    import psutil

    frequency = None
    try:
        frequency = psutil.cpu_freq()
    except Exception:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "processor": platform.processor() or platform.machine(),
        "logical_cpus": psutil.cpu_count(logical=True),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "cpu_mhz": round(frequency.current) if frequency and frequency.current else None,
        "date": time.strftime("%Y-%m-%d"),
    }


def scripts(only: list[str] | None) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.stem != "run_all")
    if only:
        found = [p for p in found if p.stem in only]
    return found


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(HERE))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(HERE))
    return module


def _number(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "s" and value < 1:
        return f"{value * 1000:.3g} ms"
    if isinstance(value, float):
        return f"{value:.3g} {unit}".strip()
    return f"{value} {unit}".strip()


def table(rows: list[dict]) -> str:
    """A Markdown table of all rows."""
    lines = ["| benchmark | figure | median | min | max | target | peer ratio | ok |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        unit = row.get("unit", "")
        ratio = row.get("ratio")
        ratio_text = f"{ratio:.3g}x vs {row.get('peer', 'peer')}" if isinstance(ratio, (int, float)) else (
            row.get("peer_error", "-") if row.get("peer") else "-")
        ok = {True: "yes", False: "**no**", None: "-"}[row.get("ok")]
        lines.append(f"| {row['benchmark']} | {row['figure']} | {_number(row.get('median'), unit)} | "
                     f"{_number(row.get('min'), unit)} | {_number(row.get('max'), unit)} | "
                     f"{row.get('target', '-')} | {ratio_text} | {ok} |")
    return "\n".join(lines)


def chart(rows: list[dict], path: Path) -> None:
    """Each figure with a numeric target as its median against the target (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    from mlfail_widgets.plots import new_figure, render_png, style

    timed = [r for r in rows if r.get("unit") == "s" and isinstance(r.get("median"), (int, float))]
    if not timed:
        return
    with style.context():
        fig, ax = new_figure((9, 0.35 * len(timed) + 1.5))
        labels = [f"{r['benchmark']}: {r['figure']}"[:70] for r in timed]
        medians = [max(r["median"], 1e-6) for r in timed]
        colours = [style.GOOD if r.get("ok") is not False else style.ALARM for r in timed]
        ax.barh(range(len(timed)), medians, color=colours)
        for i, r in enumerate(timed):
            low, high = r.get("min"), r.get("max")
            if isinstance(low, (int, float)) and isinstance(high, (int, float)):
                ax.plot([max(low, 1e-6), max(high, 1e-6)], [i, i], color=style.NEUTRAL, linewidth=1.2)
        ax.set_yticks(range(len(timed)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("median time (s, log scale); line: min to max; vermillion: misses its target")
        ax.set_title("mlfail benchmarks (make bench)")
    path.write_bytes(render_png(fig))


def update_readme(markdown: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        print("README has no bench markers; not updated.", file=sys.stderr)
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{markdown}\n{README_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--only", nargs="*", help="script names to run (without .py)")
    parser.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args(argv)

    rows: list[dict] = []
    failures = []
    for path in scripts(args.only):
        print(f"== {path.name}", flush=True)
        start = time.perf_counter()
        try:
            produced = load(path).run(quick=args.quick)
        except Exception as error:  # a broken benchmark is reported, not hidden
            traceback.print_exc()
            failures.append(path.stem)
            produced = [{"benchmark": path.stem, "figure": "script failed", "ok": False,
                         "error": f"{type(error).__name__}: {error}"}]
        for row in produced:
            row.setdefault("benchmark", path.stem)
        rows.extend(produced)
        print(f"   {len(produced)} rows in {time.perf_counter() - start:.1f} s", flush=True)

    info = machine()
    OUT.mkdir(parents=True, exist_ok=True)
    markdown = table(rows)
    header = (f"Measured by `make bench` on {info['date']}: Python {info['python']}, "
              f"{info['logical_cpus']} logical CPUs, {info['memory_gb']} GB RAM, {info['platform']}.")
    (OUT / "results.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2, default=str))
    (OUT / "results.md").write_text(header + "\n\n" + markdown + "\n")
    chart(rows, OUT / "results.png")
    print()
    print(header)
    print(markdown)
    print(f"\nWritten: {OUT / 'results.json'}, {OUT / 'results.md'}, {OUT / 'results.png'}")
    if args.update_readme:
        update_readme(header + "\n\n" + markdown)
    missed = [r for r in rows if r.get("ok") is False]
    if missed:
        print(f"\n{len(missed)} figure(s) miss their target or failed.", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
