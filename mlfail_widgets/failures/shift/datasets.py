"""A real dataset with a natural shift: the Palmer penguins, island by island.

``data/penguins.csv`` holds 344 penguins measured on three islands of the Palmer Archipelago
(Antarctica) in 2007-2009 (Gorman, Williams and Fraser 2014; packaged by Horst, Hill and Gorman
as ``palmerpenguins``; CC0). The task: tell a penguin's sex from its four body measurements.

The shift is natural, not simulated: the islands host different species. Biscoe is mostly
large Gentoo penguins (119 of 163 sexed), Dream is Adelie and Chinstrap, Torgersen only
Adelie. A model trained on one island and deployed on another meets other body sizes (a
covariate shift) and, because the size that separates males from females differs by species,
a different relation between size and sex too (a concept shift carried by a variable the
model never sees: the species).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._data import data_path
from ..._validation import check_choice
from .generators import ShiftData

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["ISLANDS", "MEASUREMENTS", "load_penguins", "penguin_shift"]

MEASUREMENTS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")
ISLANDS = ("Biscoe", "Dream", "Torgersen")


def load_penguins(*, complete: bool = True) -> pd.DataFrame:
    """The Palmer penguins as a DataFrame (``species``, ``island``, four measurements, ``sex``, ``year``).

    With ``complete=True`` (default) the 11 penguins without a recorded sex or measurement are
    left out, leaving 333.

    Examples
    --------
    >>> penguins = load_penguins()
    >>> len(penguins), penguins.groupby("island").size().to_dict()
    (333, {'Biscoe': 163, 'Dream': 123, 'Torgersen': 47})
    """
    import pandas as pd

    penguins = pd.read_csv(data_path("penguins.csv"))
    if complete:
        penguins = penguins.dropna(subset=[*MEASUREMENTS, "sex"]).reset_index(drop=True)
    return penguins


def penguin_shift(train: str = "Biscoe", deploy: str = "Dream", *, seed: int | np.random.Generator | None = 0) -> ShiftData:
    """Reference = penguins of island ``train``; current = penguins of island ``deploy``.

    The label is ``sex``; the features are the four measurements (species and island are
    left out, as a deployed model would not know them). The current penguins come in a seeded
    random order, as if they arrived one by one (the file is sorted by species).

    Examples
    --------
    >>> data = penguin_shift("Biscoe", "Dream")
    >>> len(data.reference), len(data.current), data.target
    (163, 123, 'sex')
    """
    from ..._random import resolve_rng

    train = check_choice(train, "train", ISLANDS)
    deploy = check_choice(deploy, "deploy", ISLANDS)
    penguins = load_penguins()
    rng = resolve_rng(seed)
    current = penguins[penguins["island"] == deploy]
    species = penguins.groupby("island")["species"].agg(lambda s: ", ".join(sorted(s.unique())))
    return ShiftData(
        penguins[penguins["island"] == train].reset_index(drop=True),
        current.iloc[rng.permutation(len(current))].reset_index(drop=True),
        kind=f"{train} -> {deploy}",
        magnitude=float("nan"),
        numeric=MEASUREMENTS,
        categorical=(),
        target="sex",
        description=f"trained on {train} ({species[train]}), deployed on {deploy} ({species[deploy]})",
    )
