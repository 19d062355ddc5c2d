"""Sphinx configuration of the course website (`make book`; deploy/book/build.py assembles the source).

Sphinx + myst-nb + sphinx-book-theme, because they build offline: Jupyter Book 2 downloads its site
template from the internet at build time. Every setting below keeps the site self-contained: no
script, font or widget code is fetched from a CDN when a reader opens a page.
"""

import os
from pathlib import Path

project = "mlfail: why machine-learning systems fail in production"
author = "The mlfail authors"
copyright = "The mlfail authors, MIT licence"

# sphinx-mathjax-offline copies MathJax 3 into the site (_static/mathjax): Sphinx's default loads it from a CDN.
extensions = ["myst_nb", "sphinx-mathjax-offline"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# --- execution: every chapter runs from a clean kernel; an error stops the build
nb_execution_mode = os.environ.get("MLFAIL_BOOK_EXECUTION", "cache")
nb_execution_cache_path = os.environ.get("MLFAIL_BOOK_CACHE",
                                         str(Path(__file__).resolve().parents[2] / "build" / ".book-cache"))
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 600
nb_execution_allow_errors = False

# --- widgets as their static figure: each mlfail widget carries a PNG in its mime bundle
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
    ("html", "image/png", 5),
]
nb_ipywidgets_js = {}  # no require.js or widget manager from a CDN

# --- the site
html_theme = "sphinx_book_theme"
html_title = "mlfail"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_navbar_depth": 1,
}
html_static_path = []
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
suppress_warnings = ["mystnb.unknown_mime_type"]
