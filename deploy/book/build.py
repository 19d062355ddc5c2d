"""Build the course website: `make book` -> build/book/index.html.

1. Assemble the Sphinx source in build/book-src: every chapter `notebooks/[0-9][0-9]_*.ipynb` (cells
   that print a model answer, `solution(...)`, keep their code and lose their output, so the site shows
   the exercises without their answers), the README's chapter screenshots, and a landing page made of
   the README's introduction and chapter table (links pointed at the chapter pages).
2. Run Sphinx with deploy/book/conf.py (myst-nb executes each chapter; `cache` mode keeps the
   executed notebooks under build/.book-cache, so a rebuild re-runs only changed chapters).
3. Check the result: one page per chapter, each with its title; then move the site into place. A
   failed build leaves the previous site untouched.

Exit status 0 with the site's path; 1 with one sentence saying what is wrong (a chapter without a
row in the README's table, a row naming a chapter that does not exist, a chapter that fails to run,
a page missing from the output).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
CONF_DIR = Path(__file__).resolve().parent
TABLE_LINK = re.compile(r"\]\(notebooks/([0-9][0-9]_[^)]+\.ipynb)\)")


class BookError(RuntimeError):
    """The site cannot be built as asked; the message says why and what to do."""


def chapters(notebooks: Path) -> list[Path]:
    """Every chapter notebook, in order."""
    found = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise BookError(f"no chapters (notebooks/[0-9][0-9]_*.ipynb) in {notebooks}.")
    return found


def landing_page(readme: Path, names: list[str]) -> str:
    """The README's title, introduction and chapter table, as the site's index page (MyST).

    Every chapter must have a row in the table, and every row must name an existing chapter.
    """
    text = readme.read_text()
    lines = text.splitlines()
    title = next(line for line in lines if line.startswith("# "))
    intro = text.split(title, 1)[1].split("\n## ", 1)[0].strip()
    if "\n## The course\n" not in text:
        raise BookError(f"{readme} has no '## The course' section with the chapter table.")
    course = text.split("\n## The course\n", 1)[1]
    section = []
    in_table = False
    for line in course.splitlines():
        if line.startswith("|"):
            in_table = True
        elif in_table:
            break
        section.append(line)
    body = "\n".join(section).strip()
    linked = TABLE_LINK.findall(body)
    missing_rows = [name for name in names if name not in linked]
    if missing_rows:
        raise BookError(f"chapter(s) {', '.join(missing_rows)} have no row in the README's chapter table, so the "
                        "site's landing page would leave them out. Add a row "
                        "(| [NN · Title](notebooks/NN_name.ipynb) | ... |) to the table under '## The course'.")
    unknown = [name for name in linked if name not in names]
    if unknown:
        raise BookError(f"the README's chapter table links {', '.join(unknown)}, which is not in notebooks/. "
                        "Fix the row's link or add the chapter.")
    body = body.replace("](notebooks/screenshots/", "](screenshots/")
    body = TABLE_LINK.sub(lambda m: f"]({m.group(1)})", body)
    toctree = "\n".join(Path(name).stem for name in names)
    return (f"{title}\n\n{intro}\n\n## The course\n\n{body}\n\n"
            f"```{{toctree}}\n:maxdepth: 1\n:caption: Chapters\n:hidden:\n\n{toctree}\n```\n")


def without_answers(notebook: dict) -> dict:
    """The chapter with every `solution(...)` cell's output removed (the model answers)."""
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and re.search(r"^\s*[^#\n]*\bsolution\(", source, re.M):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "remove-output" not in tags:
                tags.append("remove-output")
    return notebook


def assemble(source: Path, notebooks: Path, readme: Path) -> list[str]:
    """Write the Sphinx source folder; returns the chapter file names."""
    found = chapters(notebooks)
    names = [path.name for path in found]
    index = landing_page(readme, names)
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for path in found:
        notebook = without_answers(json.loads(path.read_text()))
        (source / path.name).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    if (notebooks / "screenshots").is_dir():
        shutil.copytree(notebooks / "screenshots", source / "screenshots")
    (source / "index.md").write_text(index)
    return names


def build(out: Path, *, notebooks: Path = CHECKOUT / "notebooks", readme: Path = CHECKOUT / "README.md",
          work: Path = CHECKOUT / "build", report=print) -> Path:
    """Build the site into ``out`` (replaced only when the new build is complete)."""
    out = Path(out).resolve()
    source = work / "book-src"
    names = assemble(source, notebooks, readme)
    staging = out.with_name(out.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    started = time.perf_counter()
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(CONF_DIR),
               "-d", str(work / "book-doctrees"), str(source), str(staging)]
    run = subprocess.run(command, capture_output=True, text=True, env=_environment())
    if run.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        failing = re.findall(r"([0-9][0-9]_\w+)\.ipynb", run.stderr)
        where = f" (in {failing[0]})" if failing else ""
        raise BookError(f"Sphinx failed{where}; the previous site is untouched. Its last lines:\n"
                        + "\n".join(run.stderr.strip().splitlines()[-25:]))
    absent = [name for name in names if not (staging / (Path(name).stem + ".html")).is_file()]
    if absent:
        shutil.rmtree(staging, ignore_errors=True)
        raise BookError(f"chapter page(s) missing from the build: {', '.join(absent)}. The previous site is "
                        "untouched.")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    report(f"{len(names)} chapters built in {time.perf_counter() - started:.0f} s: {out / 'index.html'}")
    for line in run.stderr.strip().splitlines():
        if "WARNING" in line:
            report(line)
    return out / "index.html"


def _environment() -> dict:
    import os

    return {**os.environ, "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "MLFAIL_GRADED": "0"}  # the site is self-study material; solution() outputs are removed above


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(CHECKOUT / "build" / "book"), help="the site's folder")
    args = parser.parse_args(argv)
    try:
        build(Path(args.out))
    except BookError as error:
        print(f"make book: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
