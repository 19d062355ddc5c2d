"""Exercises of chapter 01, "Dependency failure"."""

import functools

from . import choice, numeric, open_question


@functools.lru_cache(maxsize=4)
def _flipped_decisions(seed: int) -> int:
    """Real pip, real pipeline: the golden decisions scalekit 2.0.0 flips for this seed."""
    from ..failures.dependency import DependencyLab

    with DependencyLab(seed=seed) as lab:
        golden = lab.run("scalekit>=1.0").golden
        assert golden is not None  # the install succeeds here
        return golden.n_flipped


numeric(
    "01.1",
    "Create your own lab with DependencyLab(seed=7) (all releases published), run the pipeline "
    "under the unpinned requirement 'scalekit>=1.0', and count the golden songs whose decision "
    "flipped.",
    lambda: _flipped_decisions(7),
    abs_tol=0.5,
    hint="Inside `with DependencyLab(seed=7) as other:`, call other.run(...) and read the "
    "golden test's n_flipped.",
    explanation="Another seed, another model, the same story: the default changed in 2.0.0 "
    "moves every prediction, and a large share of the decisions flip without a single error.",
)

choice(
    "01.2",
    "Your team has already replaced clip_outliers with winsorize, so the loud break is gone. A "
    "dependency bot now updates the lock file to scalekit 2.0.0, with the genuine 2.0.0 hashes. "
    "CI installs with --require-hashes, imports the pipeline and runs the version guard against "
    "the new lock. Which check stops the silent break before production?",
    ["the version guard", "pip --require-hashes", "the import check", "the golden-prediction test"],
    "the golden-prediction test",
    option_hints={
        "the version guard": "The guard compares the installed versions with the lock. What does "
        "the lock say now?",
        "pip --require-hashes": "The hashes guard against a wheel that differs from the one that "
        "was locked. Was the 2.0.0 wheel tampered with?",
        "the import check": "Look at the status board for scalekit 2.0.0: did `import songpipe` "
        "fail?",
    },
    explanation="The version guard and the hashes only check that you got what the lock says; "
    "when the lock itself moves, only a check of behaviour (the golden predictions) notices that "
    "the numbers changed.",
)

choice(
    "01.3",
    "The nightly job installs its dependencies on a fresh machine every night. It must keep "
    "working when the package index is unreachable, and it must never install a wheel that "
    "differs from the one you tested. Which setup meets both?",
    ["scalekit==1.1.0 in requirements.txt", "scalekit~=1.1 and a golden test",
     "a hashed lock file installed from a vendored wheelhouse",
     "an unpinned requirement and a version guard"],
    "a hashed lock file installed from a vendored wheelhouse",
    option_hints={
        "scalekit==1.1.0 in requirements.txt": "A pin chooses the version. Where does pip get it "
        "when the index is down, and does it check the bytes it gets?",
        "scalekit~=1.1 and a golden test": "A golden test detects a change after the install. "
        "What installs anything when the index is unreachable?",
        "an unpinned requirement and a version guard": "The guard refuses to run on untested "
        "versions; does it help pip install anything while the index is down?",
    },
    explanation="The lock pins every package and its sha256 (pip refuses other bytes); the "
    "vendored wheelhouse (--no-index --find-links) needs no index at all.",
)

open_question(
    "01.4",
    "scalekit 1.1.0 announced both breaks with warnings weeks before 2.0.0 came out, yet the team "
    "was surprised. Why might nobody have seen the warnings, and how would you make such "
    "warnings impossible to miss?",
    "Python hides DeprecationWarning by default unless it is triggered by code in __main__ "
    "(PEP 565), so the warning about clip_outliers, raised inside songpipe, never reached the "
    "log. The FutureWarning did go to stderr, but in the log of a nightly job that succeeded, "
    "which nobody reads. Make warnings errors where they are cheap to fix: run the test suite "
    "and CI with `python -W error::DeprecationWarning -W error::FutureWarning` (or pytest's "
    "filterwarnings = error), so the build fails on the day the warning appears; read the "
    "release notes of every dependency update (a bot's pull request is a good place), keep an "
    "upper bound (<2) until the next major is tested, and run the golden test on each update.",
)
