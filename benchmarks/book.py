"""The course website: how long a page takes to load and render in headless Chromium (issue 21).

Builds the site as `make book` does (chapters execute in myst-nb's cache mode, so an unchanged
chapter is not re-run), serves it from 127.0.0.1 with the network cut off, and opens the landing
page and every chapter page, 5 times each (2 with ``--quick``), in a fresh browser tab each time.
A page's time is from the start of navigation to the end of its load event, once all its images are
complete (the Navigation Timing API). Also reported: the build itself.

    python benchmarks/book.py [--quick]
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

from _common import ROOT, main, row

NAME = "book"
# Issue 21 asks for the time to be reported, with no budget: these rows are reports, not verdicts.


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run(quick: bool = False) -> list[dict]:
    build = _load("book_build", ROOT / "deploy" / "book" / "build.py")
    browse = _load("book_browse", ROOT / "deploy" / "book" / "browse.py")
    started = time.perf_counter()
    build.build(ROOT / "build" / "book", report=lambda _line: None)
    seconds = time.perf_counter() - started
    rows = [row(NAME, "make book (Sphinx + myst-nb, execution cached)", [seconds], unit="s")]
    site = ROOT / "build" / "book"
    pages = ["index", *(p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))]
    repeat = 2 if quick else 5
    times: dict[str, list[float]] = {page: [] for page in pages}
    blocked: list[str] = []
    with browse.serve(site) as base, browse.offline_browser(blocked) as page:
        for _ in range(repeat):
            for name in pages:
                tab = page.context.new_page()
                timing = browse.load_and_render(tab, f"{base}/{name}.html")
                times[name].append(timing["load_ms"] / 1000)
                tab.close()
    everything = [t for name in pages if name != "index" for t in times[name]]
    rows.append(row(NAME, "landing page: load and render, offline", times["index"], unit="s"))
    rows.append(row(NAME, f"chapter pages ({len(pages) - 1}): load and render with figures, offline", everything,
                    unit="s"))
    slowest = max(pages[1:], key=lambda n: sorted(times[n])[len(times[n]) // 2])
    rows.append(row(NAME, f"slowest chapter page ({slowest})", times[slowest], unit="s"))
    if blocked:
        rows.append(row(NAME, f"requests outside 127.0.0.1: {len(blocked)}", [0.0], ok=False, target="none"))
    return rows


if __name__ == "__main__":
    sys.exit(main(run, __doc__))
