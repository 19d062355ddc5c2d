"""What the on-call engineer sees: the evidence of one drill, as plain tables and log lines.

Nothing here names the failure. Every table is a :class:`pandas.DataFrame`; the logs are
:class:`LogLine` objects (``str(line)`` is the line as a log viewer prints it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["LOG_LEVELS", "Evidence", "LogLine"]

LOG_LEVELS = ("INFO", "WARN", "ERROR")


@dataclass(frozen=True)
class LogLine:
    """One log line: ``time`` ("2026-03-14 07:42:13"), ``level``, ``component``, ``message``.

    Examples
    --------
    >>> print(LogLine("2026-03-14 07:42:13", "ERROR", "model-loader", "PermissionError: ..."))
    2026-03-14 07:42:13  ERROR  model-loader        PermissionError: ...
    """

    time: str
    level: str
    component: str
    message: str

    def __str__(self) -> str:
        return f"{self.time}  {self.level:<5}  {self.component:<18}  {self.message}"


_SECTIONS = (
    ("health", "Service health and latency, last 12 hours (15-minute bins)"),
    ("resources", "Resource monitor of the serving host, last 12 hours"),
    ("deploys", "Deploy and change history, last 14 days"),
    ("serving", "Which model: the registry's production pointer and the service's /version"),
    ("dependencies", "Dependency report: locked and installed versions per image"),
    ("golden", "Golden-prediction test of the serving image"),
    ("pipeline_runs", "Nightly pipeline runs"),
    ("drift", "Drift report: training data against the last 24 hours of requests"),
    ("quality", "Model quality from delayed labels, last 14 days"),
    ("recommender", "Home-page recommender, last 21 days"),
    ("slices", "Recommender hit rate by slice, last 3 days"),
)


@dataclass(frozen=True, eq=False)
class Evidence:
    """Everything the dashboard of one drill shows.

    Attributes
    ----------
    seed : int
        The drill's seed.
    now : str
        The time of the page ("2026-03-14 09:45").
    health : DataFrame
        Per 15-minute bin of the last 12 hours: ``time``, ``requests``, ``availability``,
        ``error_rate``, ``p50_ms``, ``p99_ms``.
    resources : DataFrame
        Per bin: ``time``, ``cpu_0`` .. ``cpu_7`` (percent busy per core), ``memory`` (percent).
    logs : tuple of LogLine
        INFO lines of the last 12 hours, WARN and ERROR lines of the last 14 days.
    deploys : DataFrame
        ``time``, ``component``, ``change``, ``result``.
    serving : DataFrame
        ``source``, ``version``, ``sha256``, ``detail``: what production points to, and what
        the prediction service reports it loaded.
    dependencies : DataFrame
        ``image``, ``package``, ``locked``, ``installed``, ``status``.
    golden : DataFrame
        ``image``, ``run``, ``passed``, ``result``.
    pipeline_runs : DataFrame
        ``night``, ``job``, ``status``, ``detail``.
    drift : DataFrame
        ``feature``, ``used_by_model``, ``test``, ``statistic``, ``p_value`` (adjusted for five
        tests), ``psi``, ``flagged`` (adjusted p < 0.01 and PSI >= 0.1).
    quality : DataFrame
        ``day`` (-14 .. -1), ``date``, ``labelled``, ``accuracy``, ``predicted_positive``.
    recommender : DataFrame
        ``day`` (-21 .. -1), ``date``, ``new_song_share`` (share of plays going to songs out
        for less than 5 days), ``new_song_share_5d`` (its 5-day mean), ``exposure_gini``,
        ``coverage``, ``plays_per_listener``.
    slices : DataFrame
        ``by``, ``slice``, ``impressions``, ``impression_share``, ``hit_rate``, ``low``,
        ``high``.

    Examples
    --------
    >>> from mlfail_widgets.failures.drill import IncidentDrill
    >>> evidence = IncidentDrill(5).evidence
    >>> evidence.serving["source"].tolist()
    ['registry: production pointer', 'prediction-service: /version']
    >>> list(evidence.tables())[:3]
    ['health', 'resources', 'deploys']
    """

    seed: int
    now: str
    health: Any
    resources: Any
    logs: tuple
    deploys: Any
    serving: Any
    dependencies: Any
    golden: Any
    pipeline_runs: Any
    drift: Any
    quality: Any
    recommender: Any
    slices: Any

    def __repr__(self) -> str:
        tables = ", ".join(name for name, _ in _SECTIONS)
        return (f"Evidence(drill {self.seed}, paged at {self.now}: {len(self.logs)} log lines; "
                f"tables {tables})")

    def log_text(self, contains: str | None = None, *, level: str | None = None) -> str:
        """The logs as text, optionally only lines containing ``contains`` or of one ``level``.

        Examples
        --------
        >>> from mlfail_widgets.failures.drill import IncidentDrill
        >>> "INFO" in IncidentDrill(0).evidence.log_text(level="INFO")
        True
        """
        needle = None if contains is None else str(contains).lower()
        lines = [str(line) for line in self.logs
                 if (level is None or line.level == level)
                 and (needle is None or needle in str(line).lower())]
        return "\n".join(lines)

    def tables(self) -> dict:
        """Every table by name (``health``, ``deploys``, ...), in the dashboard's order."""
        return {name: getattr(self, name) for name, _ in _SECTIONS}

    def table_html(self, name: str) -> str:
        """One table as an HTML fragment with its heading."""
        title = dict(_SECTIONS)[name]
        frame = getattr(self, name)
        body = frame.to_html(index=False, float_format=lambda x: f"{x:.3g}", border=0,
                             classes="mlfail-table")
        return f"<h4>{html.escape(title)}</h4>{body}"

    def logs_html(self, limit: int = 400) -> str:
        """The logs as a scrollable monospace block (the newest ``limit`` lines)."""
        lines = "\n".join(html.escape(str(line)) for line in self.logs[-limit:])
        return ('<h4>Logs (INFO: last 12 hours; WARN and ERROR: last 14 days)</h4>'
                '<pre class="mlfail-logs" style="max-height:22em;overflow:auto;font-size:11px;'
                f'line-height:1.35">{lines}</pre>')

    def _repr_html_(self) -> str:
        tables = [self.table_html(name) for name, _ in _SECTIONS if name not in ("health", "resources")]
        return (f"<div class='mlfail-evidence'><p><b>Drill {self.seed}</b>, paged at {self.now}.</p>"
                + self.logs_html() + "".join(tables) + "</div>")

    def equals(self, other: Evidence) -> bool:
        """True when both hold the same numbers, tables and log lines."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            same = mine.equals(theirs) if hasattr(mine, "equals") else mine == theirs
            if not same:
                return False
        return True
