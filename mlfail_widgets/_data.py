"""Find the course's small data files (the top-level ``data/`` folder of the checkout)."""

from __future__ import annotations

from pathlib import Path

from ._validation import ParameterError

__all__ = ["data_path"]


def data_path(name: str) -> Path:
    """Path of ``data/<name>`` in the course checkout.

    Looks beside the installed package (an editable install from the checkout) and in the
    working directory and its parents (a notebook runs in ``notebooks/``).

    Examples
    --------
    >>> data_path("outage_study.csv").name
    'outage_study.csv'
    """
    here = Path.cwd()
    for folder in (Path(__file__).resolve().parent.parent, here, *here.parents):
        candidate = folder / "data" / name
        if candidate.is_file():
            return candidate
    raise ParameterError(
        f"The course data file {name!r} was not found in a data/ folder. Run from the mlfail "
        "checkout (git clone, then make lab), where data/ holds it."
    )
