"""The outcome of one install-and-run: what pip resolved, what ran, what the checks said."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .checks import GoldenTestResult, GuardReport
from .pip import InstallResult
from .smoke import SmokeResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PipelineRun", "PipelineStep", "runs_table"]


@dataclass(frozen=True)
class PipelineStep:
    """One line of the status board: a step, its status (ok, warn, fail, skip) and details.

    Examples
    --------
    >>> PipelineStep("golden test", "fail", "79 decisions flipped").status
    'fail'
    """

    step: str
    status: str
    detail: str


@dataclass
class PipelineRun:
    """One real install of the pipeline and what happened when it ran.

    Attributes
    ----------
    requirement : str
        The requirement on scalekit (``"scalekit>=1.0"``).
    source : str
        ``"index"``, ``"vendored"`` or ``"mirror"``.
    index_up : bool
        Whether the package index answered (only matters for ``source="index"``).
    install : InstallResult
        The pip run.
    smoke : SmokeResult or None
        The pipeline run in its own process (None when pip failed).
    golden : GoldenTestResult or None
        The golden test (None when there were no predictions).
    guard : GuardReport
        The version guard against the lab's lock.
    cached : bool
        True when this result was served from the lab's cache instead of running pip again.
    finished_at : float
        ``time.time()`` when pip finished.

    Examples
    --------
    A run is a real pip install (about a second), so the doctest does not run this;
    ``tests/test_dependency.py`` does.

    >>> from mlfail_widgets.failures.dependency import DependencyLab
    >>> with DependencyLab(seed=0) as lab:  # doctest: +SKIP
    ...     run = lab.run("scalekit>=1.0")
    >>> run.resolved, run.imported, run.golden.passed, run.guard.ok  # doctest: +SKIP
    ('2.0.0', True, False, False)
    >>> [check.status for check in run.checks()]  # doctest: +SKIP
    ['ok', 'ok', 'fail', 'fail', 'fail']
    """

    requirement: str
    source: str
    index_up: bool
    install: InstallResult
    smoke: SmokeResult | None
    golden: GoldenTestResult | None
    guard: GuardReport
    cached: bool = False
    finished_at: float = 0.0

    @property
    def resolved(self) -> str | None:
        """The scalekit version pip installed (None when it failed)."""
        return self.install.version("scalekit")

    @property
    def imported(self) -> bool:
        return bool(self.smoke and self.smoke.imported)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.smoke.warnings if self.smoke else ()

    @property
    def clean_error(self) -> str | None:
        return self.smoke.clean_error if self.smoke else None

    @property
    def ok(self) -> bool:
        """Installed, imported, cleaned and reproduced every golden prediction."""
        return bool(self.install.ok and self.imported and not self.clean_error
                    and self.golden is not None and self.golden.passed)

    def checks(self) -> list[PipelineStep]:
        """The status board: pip, import, cleaning step, golden test, version guard."""
        install, smoke = self.install, self.smoke
        if install.ok:
            rows = [PipelineStep("pip install", "ok", f"resolved scalekit {self.resolved} "
                                              f"in {install.seconds:.1f} s")]
        else:
            rows = [PipelineStep("pip install", "fail", install.message)]
        if smoke is None:
            rows.append(PipelineStep("import songpipe", "skip", "nothing was installed"))
        elif smoke.imported:
            rows.append(PipelineStep("import songpipe", "ok", "imported from the install target"))
        else:
            rows.append(PipelineStep("import songpipe", "fail", smoke.import_error or "failed"))
        if not self.imported or smoke is None:
            rows.append(PipelineStep("clean step", "skip", "the pipeline did not import"))
        elif smoke.clean_error:
            rows.append(PipelineStep("clean step", "fail", smoke.clean_error))
        elif any("clip_outliers" in warning for warning in smoke.warnings):
            rows.append(PipelineStep("clean step", "warn", "ran, with a DeprecationWarning"))
        else:
            rows.append(PipelineStep("clean step", "ok", "ran without a warning"))
        if self.golden is None:
            reason = smoke.predict_error if smoke and smoke.predict_error else "no predictions"
            rows.append(PipelineStep("golden test", "skip", reason))
        else:
            rows.append(PipelineStep("golden test", "ok" if self.golden.passed else "fail",
                              self.golden.describe()))
        if not install.ok:
            rows.append(PipelineStep("version guard", "skip", "nothing installed to check"))
        else:
            rows.append(PipelineStep("version guard", "ok" if self.guard.ok else "fail",
                              self.guard.describe()))
        return rows

    def __repr__(self) -> str:
        lines = [f"PipelineRun: {self.install.command_line}"]
        lines += [f"  {c.step:<16}{c.status.upper():<6}{c.detail}" for c in self.checks()]
        lines += [f"  {'warning':<16}      {w}" for w in self.warnings]
        if self.cached:
            lines.append("  (cached: pip ran for these settings earlier in this lab)")
        return "\n".join(lines)


def runs_table(runs: Iterable[PipelineRun]) -> pd.DataFrame:
    """Several runs side by side as a DataFrame: one row per run.

    Examples
    --------
    >>> runs_table([]).columns.tolist()
    ['requirement', 'source', 'scalekit', 'imports', 'clean step', 'golden test', 'accuracy', 'version guard']
    """
    import pandas as pd

    rows = []
    for run in runs:
        board = {c.step: c for c in run.checks()}
        rows.append((run.requirement, run.source, run.resolved or "-", board["import songpipe"].status,
                     board["clean step"].status, board["golden test"].status,
                     None if run.golden is None else round(run.golden.accuracy_served, 3),
                     board["version guard"].status))
    return pd.DataFrame(rows, columns=["requirement", "source", "scalekit", "imports", "clean step",
                                       "golden test", "accuracy", "version guard"])
