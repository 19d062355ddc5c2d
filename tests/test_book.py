"""The course website (issue 21): `make book` builds a Sphinx + myst-nb site offline, and it works
in headless Chromium with the network cut off.

The site is built once for the module (chapters execute in myst-nb's `cache` mode under
build/.book-cache, so a rebuild re-runs only changed chapters). The browser part needs
/usr/bin/chromium: skipped without it, except under CI=true.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from mlfail_widgets.exercises import all_exercises

from .conftest import ROOT


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


book = _load("book_build", ROOT / "deploy" / "book" / "build.py")
browse = _load("book_browse", ROOT / "deploy" / "book" / "browse.py")
CHAPTERS = [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "book"
    book.build(out, report=lambda _line: None)
    return out


def _needs_chromium():
    if not Path(browse.CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the website test needs /usr/bin/chromium; .ci/run installs it")
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")


# ------------------------------------------------------------------ the build, read as files
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_chapter_has_a_page_in_order_with_outputs_and_no_answers(site):
    index = (site / "index.html").read_text()
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()
    links = re.findall(r'href="([0-9][0-9]_\w+)\.html"', index)
    assert list(dict.fromkeys(links)) == CHAPTERS, "the landing page's table and navigation list every chapter in order"
    model_answers = [e.explanation for e in all_exercises().values() if e.kind == "open"]
    for chapter in CHAPTERS:
        page = (site / f"{chapter}.html").read_text()
        assert page.count('class="cell_output') >= 1, chapter
        assert re.search(r'<img[^>]+src="[^"]*_images/[^"]+\.png"|<img[^>]+src="data:image/png', page), \
            f"{chapter}: the widgets' static figures are on the page"
        assert "VBox(children" not in page and "Error displaying widget" not in page, chapter
        assert 'class="output traceback' not in page, f"{chapter}: an error in the executed chapter"
        for answer in model_answers:
            assert answer[:80] not in page, f"{chapter} shows an exercise's model answer"


@pytest.mark.slow
def test_every_widget_is_on_its_page_as_its_static_figure(site):
    from jupyter_cache import get_cache

    cache = get_cache(os.environ.get("MLFAIL_BOOK_CACHE", str(ROOT / "build" / ".book-cache")))
    latest = {}
    for record in sorted(cache.list_cache_records(), key=lambda r: r.pk):
        latest[Path(record.uri).stem] = record.pk
    total = 0
    for chapter in CHAPTERS:
        executed = cache.get_cache_bundle(latest[chapter]).nb
        # A kept-back answer (exercises._reveal.Hidden) is a button, not a figure: its static
        # form is the button's label, and the page must not show more (checked above).
        widgets = [o.get("data", {}) for c in executed.cells for o in c.get("outputs", [])
                   if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
                   and "mlfail-hidden" not in o.get("data", {}).get("text/html", "")]
        assert all("image/png" in data for data in widgets), f"{chapter}: a widget without its static figure"
        page = (site / f"{chapter}.html").read_text()
        shown = len(re.findall(r'<img[^>]+src="_images/[^"]+\.png"', page))
        assert shown >= len(widgets), f"{chapter}: {len(widgets)} widgets, {shown} figures on the page"
        total += len(widgets)
    assert total >= len(CHAPTERS), "every chapter has at least its main widget"


@pytest.mark.slow
def test_no_page_asks_for_anything_outside_the_site(site):
    for page in site.rglob("*.html"):
        text = page.read_text()
        external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', text)
        assert external == [], f"{page.name} loads {external}"


# ------------------------------------------------------------------ the site in a browser, offline
@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
def test_the_site_works_in_chromium_with_the_network_cut_off(site):
    _needs_chromium()
    blocked: list[str] = []
    with browse.serve(site) as base, browse.offline_browser(blocked) as page:
        timing = browse.load_and_render(page, base + "/index.html")
        assert page.locator("table tbody tr").count() == len(CHAPTERS)
        internal: set[str] = set()
        for chapter in CHAPTERS:
            timing = browse.load_and_render(page, f"{base}/{chapter}.html")
            assert page.locator("article h1").count() >= 1, chapter
            figures = page.locator(".cell_output img")
            assert figures.count() >= 1, f"{chapter} shows no figure"
            widths = page.evaluate("() => Array.from(document.querySelectorAll('.cell_output img'))"
                                   ".map(i => i.naturalWidth)")
            assert min(widths) > 0, f"{chapter}: a figure did not render"
            nav = page.locator("nav.bd-docs-nav a.reference.internal")
            assert nav.count() >= len(CHAPTERS), f"{chapter}: the chapter navigation is missing"
            assert page.locator(".bd-sidebar-secondary .page-toc .toc-entry a").count() >= 1, \
                f"{chapter}: no table of contents of the page"
            assert page.locator(".prev-next-area a").count() >= 1, chapter
            hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
            internal.update(h for h in hrefs if urlparse(h).hostname == "127.0.0.1")
            assert timing["images"] >= 1
        broken = []
        for href in sorted(internal):
            target, fragment = urldefrag(href)
            path = site / urlparse(target).path.lstrip("/")
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file() or (fragment and path.suffix == ".html" and f'id="{fragment}"' not in path.read_text()):
                broken.append(href)
        assert broken == [], f"broken internal links: {broken}"

        if os.environ.get("MLFAIL_REFRESH_SCREENSHOTS") == "1":  # the README's two pictures of the site
            shots = ROOT / "deploy" / "screenshots"
            shots.mkdir(exist_ok=True)
            browse.load_and_render(page, base + "/index.html")
            page.screenshot(path=str(shots / "book_landing.png"))
            browse.load_and_render(page, base + "/05_data_distribution_shift.html")
            page.locator(".cell_output img").first.scroll_into_view_if_needed()
            page.mouse.wheel(0, -120)  # the figure with the text above it
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / "book_chapter.png"))

        page.goto(f"{base}/search.html?q=penguins")
        page.wait_for_selector("#search-results ul.search li", timeout=60_000)
        results = page.evaluate("() => Array.from(document.querySelectorAll('#search-results li a'))"
                                ".map(a => a.getAttribute('href'))")
        assert any(r and r.startswith("05_data_distribution_shift") for r in results), results
    assert blocked == [], f"requests that would leave 127.0.0.1: {blocked}"


# ------------------------------------------------------------------ bad input
def _tiny_course(tmp_path: Path, cells: list[str], table: list[str]) -> tuple[Path, Path]:
    import nbformat

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00 · Tiny"),
                                         *[nbformat.v4.new_code_cell(c) for c in cells]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "00_tiny.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text("# Tiny\n\nA course.\n\n## The course\n\n| Chapter | What |\n|---|---|\n"
                      + "\n".join(table) + "\n\nAfter.\n")
    return notebooks, readme


def test_a_chapter_without_a_row_in_the_readme_is_a_clear_error_and_nothing_is_built(tmp_path):
    notebooks, readme = _tiny_course(tmp_path, ["1 + 1"], [])
    with pytest.raises(book.BookError, match=r"00_tiny.ipynb have no row in the README's chapter table"):
        book.build(tmp_path / "out", notebooks=notebooks, readme=readme, work=tmp_path / "work")
    assert not (tmp_path / "out").exists()


def test_a_row_naming_a_missing_chapter_is_a_clear_error(tmp_path):
    notebooks, readme = _tiny_course(tmp_path, ["1 + 1"], ["| [00](notebooks/00_tiny.ipynb) | x |",
                                                          "| [01](notebooks/01_gone.ipynb) | y |"])
    with pytest.raises(book.BookError, match=r"links 01_gone.ipynb, which is not in notebooks/"):
        book.build(tmp_path / "out", notebooks=notebooks, readme=readme, work=tmp_path / "work")


@pytest.mark.slow
def test_a_chapter_that_fails_to_run_stops_the_build_and_keeps_the_previous_site(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFAIL_BOOK_CACHE", str(tmp_path / "cache"))
    notebooks, readme = _tiny_course(tmp_path, ["print('fine')"], ["| [00](notebooks/00_tiny.ipynb) | x |"])
    out = tmp_path / "out"
    book.build(out, notebooks=notebooks, readme=readme, work=tmp_path / "work", report=lambda _l: None)
    assert "fine" in (out / "00_tiny.html").read_text()
    broken = json.loads((notebooks / "00_tiny.ipynb").read_text())
    broken["cells"][1]["source"] = "raise RuntimeError('chapter broken on purpose')"
    (notebooks / "00_tiny.ipynb").write_text(json.dumps(broken))
    with pytest.raises(book.BookError, match=r"Sphinx failed \(in 00_tiny\); the previous site is untouched"):
        book.build(out, notebooks=notebooks, readme=readme, work=tmp_path / "work")
    assert "fine" in (out / "00_tiny.html").read_text()
    assert not (tmp_path / "out.new").exists()
    shutil.rmtree(tmp_path / "work")


def test_the_landing_page_is_the_readme_table_with_links_to_the_chapter_pages():
    names = [f"{c}.ipynb" for c in CHAPTERS]
    page = book.landing_page(ROOT / "README.md", names)
    for chapter in CHAPTERS:
        assert f"]({chapter}.ipynb)" in page
    assert "](notebooks/" not in page
    toctree = page.split(":hidden:\n\n", 1)[1].split("\n```", 1)[0]
    assert toctree.splitlines() == CHAPTERS, "the navigation lists every chapter, in order"
