"""The settings of a run of the loop, in one object: :class:`LoopSettings`.

:func:`~.simulate.simulate_feedback_loop` takes a :class:`LoopSettings` and, for the calls
written before it existed, the same fields as keywords (merged by
:func:`mlfail_widgets._settings.settings_values`); both are validated here, with the name of
the function the learner called in every error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..._validation import check_choice, check_float, check_int, parameter_error
from .examination import EXAMINATION_MODELS
from .policies import DEBIAS, LEARNED_POLICIES, POLICIES
from .world import World

__all__ = ["SETTINGS_FIELDS", "LoopSettings"]

_SETTINGS_DOC = """
    policy : {"random", "popularity", "ctr", "personalised", "oracle"}, default="popularity"
        How songs are ranked (see :mod:`.policies`); ``"oracle"`` ranks by the true affinity
        (the ideal recommender the loop is measured against).
    n_users, n_songs : int, default=1000, 500
        Listeners, and songs in the catalogue by the last round (ignored when a ``world`` is given).
    rounds : int, default=30
        Rounds of recommend -> listen -> retrain.
    k : int, default=10
        Songs shown per list; at most the catalogue at round 0.
    epsilon : float, default=0.0
        Epsilon-greedy exploration: each slot shows a random song with this probability, in [0, 1].
    random_slots : int, default=0
        The last ``random_slots`` slots always show random unranked songs.
    position_bias : float, default=1.0
        Slot ``p`` is examined with probability ``(1/p) ** position_bias`` (0 = no bias).
    examination : {"position", "cascade"}, default="position"
        The examination model; with "cascade", listeners stop after a play and otherwise go on
        with probability ``patience``.
    patience : float, default=0.8
        Cascade model only.
    debias : {"none", "position_feature", "ipw"}, default="none"
        Position debiasing of the learned policies ("ctr", "personalised").
    new_songs : float, default=0.2
        Share of the catalogue released during the run.
    warmup_rounds : int, default=1
        First rounds shown at random to every policy (a cold start has to show something).
    audit_share : float, default=0.0
        Share of listeners per round given a random list that is logged but never trained on.
    new_window : int, default=5
        Rounds during which a released song counts as new.
    log_rounds : int, optional
        Keep the logged rows of the last ``log_rounds`` rounds; default: as many as fit in
        one million rows."""


@dataclass(frozen=True)
class LoopSettings:
    """Everything that defines a run of the loop, except the world, the seed and progress.

    Build one, change a field with :func:`dataclasses.replace`, and pass it to
    :func:`simulate_feedback_loop` (keywords given there override its fields).

    Parameters
    ----------{doc}

    Examples
    --------
    >>> LoopSettings("ctr", epsilon=0.1, debias="ipw").debias
    'ipw'
    >>> LoopSettings(epsilon=2)
    Traceback (most recent call last):
    ...
    mlfail_widgets._validation.ParameterError: The 'epsilon' parameter of LoopSettings must be a number in [0, 1]. Got 2 instead. epsilon is the probability that a slot shows a random song.
    """

    policy: str = "popularity"
    n_users: int = 1000
    n_songs: int = 500
    rounds: int = 30
    k: int = 10
    epsilon: float = 0.0
    random_slots: int = 0
    position_bias: float = 1.0
    examination: str = "position"
    patience: float = 0.8
    debias: str = "none"
    new_songs: float = 0.2
    warmup_rounds: int = 1
    audit_share: float = 0.0
    new_window: int = 5
    log_rounds: int | None = None

    def __post_init__(self):
        checked = _check(asdict(self), None)
        for name, value in checked.items():
            object.__setattr__(self, name, value)


LoopSettings.__doc__ = (LoopSettings.__doc__ or "").replace("{doc}", _SETTINGS_DOC)
SETTINGS_FIELDS = tuple(f.name for f in fields(LoopSettings))


def _check(values: dict, world) -> dict:
    """Validate the settings ``values`` (a dict of every field), for ``world`` if one is given."""
    v = values
    policy = check_choice(v["policy"], "policy", POLICIES)
    debias = check_choice(v["debias"], "debias", DEBIAS)
    if debias != "none" and policy not in LEARNED_POLICIES:
        raise parameter_error("debias", f"'none' for the {policy!r} policy", debias,
                              fix="Position debiasing applies to the learned policies 'ctr' and "
                              "'personalised'.")
    if world is not None and not isinstance(world, World):
        raise parameter_error("world", "a World from make_world, or None", world)
    n_users = world.n_users if world else check_int(
        v["n_users"], "n_users", low=1, high=1_000_000,
        fix="A simulation needs at least one listener.")
    n_songs = world.n_songs if world else check_int(v["n_songs"], "n_songs", low=2, high=100_000)
    rounds = check_int(v["rounds"], "rounds", low=1, high=10_000)
    new_songs = check_float(v["new_songs"], "new_songs", low=0.0, high=0.9)
    n_initial = world.n_initial if world else n_songs - (round(new_songs * n_songs) if rounds > 1 else 0)
    k = check_int(v["k"], "k", low=1, high=n_initial,
                  fix=f"Show at most the {n_initial} songs in the catalogue at round 0.")
    epsilon = check_float(v["epsilon"], "epsilon", low=0.0, high=1.0,
                          fix="epsilon is the probability that a slot shows a random song.")
    random_slots = check_int(v["random_slots"], "random_slots", low=0, high=k,
                             fix=f"At most all k = {k} slots can be random.")
    position_bias = check_float(v["position_bias"], "position_bias", low=0.0, high=5.0)
    examination = check_choice(v["examination"], "examination", EXAMINATION_MODELS)
    patience = check_float(v["patience"], "patience", low=0.0, high=1.0)
    warmup_rounds = check_int(v["warmup_rounds"], "warmup_rounds", low=0, high=rounds)
    audit_share = check_float(v["audit_share"], "audit_share", low=0.0, high=0.5)
    new_window = check_int(v["new_window"], "new_window", low=1, high=10_000)
    log_rounds = v["log_rounds"]
    if log_rounds is not None:
        log_rounds = check_int(log_rounds, "log_rounds", low=0, high=rounds)
    return dict(policy=policy, debias=debias, n_users=n_users, n_songs=n_songs, rounds=rounds, k=k,
                epsilon=epsilon, random_slots=random_slots, position_bias=position_bias,
                examination=examination, patience=patience, new_songs=new_songs,
                warmup_rounds=warmup_rounds, audit_share=audit_share, new_window=new_window,
                log_rounds=log_rounds)

