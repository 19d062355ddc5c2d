"""What this machine can do for the course, and what to do about what is missing.

Used by ``mlfail doctor`` and by the ``%mlfail_env`` magic.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from ._renamed import renamed_classes

if TYPE_CHECKING:
    from .machine import CgroupLimits

__all__ = ["EnvironmentCheck", "environment_report", "format_report"]


KEY_PACKAGES = (
    "mlfail", "jupyterlab", "ipywidgets", "jupyterlab_widgets", "ipykernel", "numpy", "pandas",
    "scipy", "matplotlib", "seaborn", "psutil", "nbclient", "nbconvert",
)


@dataclass
class EnvironmentCheck:
    """One line of the report: what was checked, whether it is fine, and the advice if not."""

    name: str
    ok: bool
    detail: str
    advice: str = ""
    required: bool = True


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _widgets_frontend() -> EnvironmentCheck:
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return EnvironmentCheck("ipywidgets frontend in JupyterLab", False, "jupyter_core is not installed",
                     "Install the course: pip install -e . (or make lab).")
    for base in jupyter_path("labextensions"):
        path = os.path.join(base, "@jupyter-widgets", "jupyterlab-manager")
        if os.path.isdir(path):
            return EnvironmentCheck("ipywidgets frontend in JupyterLab", True, f"found at {path}")
    return EnvironmentCheck(
        "ipywidgets frontend in JupyterLab", False, "the @jupyter-widgets/jupyterlab-manager "
        "extension is not installed in this environment",
        "Widgets will show as plain text. Run: pip install 'ipywidgets>=8' jupyterlab_widgets, "
        "then restart JupyterLab.",
    )


def _sensors() -> list[EnvironmentCheck]:
    try:
        import psutil
    except ImportError:
        return [EnvironmentCheck("psutil", False, "not installed", "pip install psutil")]
    checks = []
    try:
        frequency = psutil.cpu_freq()
    except Exception:  # some VMs raise instead of returning None
        frequency = None
    if frequency and frequency.current:
        checks.append(EnvironmentCheck("CPU frequency", True, f"{frequency.current:.0f} MHz now", required=False))
    else:
        checks.append(EnvironmentCheck(
            "CPU frequency", False, "not exposed by this machine (common on virtual machines)",
            "Chapter 04 then shows frequency throttling from its simulated thermal model only.",
            required=False))
    read_temperatures = getattr(psutil, "sensors_temperatures", None)
    try:
        temperatures = read_temperatures() if read_temperatures else {}
    except Exception:
        temperatures = {}
    if temperatures:
        first = next(iter(temperatures.values()))[0]
        checks.append(EnvironmentCheck("CPU temperature", True, f"{first.current:.0f} °C ({len(temperatures)} sensors)",
                            required=False))
    else:
        checks.append(EnvironmentCheck(
            "CPU temperature", False, "no temperature sensor is readable here",
            "Chapter 04's overheating demo is simulated (and labelled so) on every machine anyway.",
            required=False))
    checks.append(EnvironmentCheck("CPU cores", True, f"{psutil.cpu_count(logical=True)} logical, "
                        f"{psutil.cpu_count(logical=False) or '?'} physical", required=False))
    checks.append(_container())
    memory = psutil.virtual_memory()
    checks.append(EnvironmentCheck("memory", memory.available > 1.5e9,
                        f"{memory.available / 1e9:.1f} GB free of {memory.total / 1e9:.1f} GB",
                        "Close other programs: chapter 06 needs about 1 GB at its largest size.",
                        required=False))
    return checks


def _container(limits: CgroupLimits | None = None) -> EnvironmentCheck:
    """The container's CPU quota and memory limit (cgroup), which psutil does not report."""
    from .machine import cpu_limit, read_cgroup_limits, stress_capacity

    limits = read_cgroup_limits() if limits is None else limits
    if limits.version == "none":
        return EnvironmentCheck("container limits (cgroup)", True, "no cgroup on this system: no quota", required=False)
    quota = ("no CPU quota" if limits.cpu_quota is None
             else f"CPU quota {limits.cpu_quota:g} cores")
    memory = ("no memory limit" if limits.memory_limit is None
              else f"memory limit {limits.memory_limit / 1e9:.2f} GB")
    detail = (f"cgroup {limits.version}: {quota}, {memory}; this kernel can use {cpu_limit(limits):g} "
              f"core(s), chapter 04 runs at most {stress_capacity(limits)} stress worker(s) machine-wide")
    small = limits.cpu_quota is not None and limits.cpu_quota < 1
    return EnvironmentCheck("container limits (cgroup)", not small, detail,
                 "Under one core, chapter 04's latency demo runs with one stress worker and its "
                 "numbers are slower; ask for at least 1 CPU per user on the hub.", required=False)


def environment_report() -> list[EnvironmentCheck]:
    """Check Python, the key packages, the widget frontend and the sensors.

    Examples
    --------
    >>> report = environment_report()
    >>> report[0].name
    'Python'
    """
    checks = [EnvironmentCheck("Python", sys.version_info >= (3, 10),
                    f"{platform.python_version()} at {sys.executable}",
                    "The course needs Python 3.10 or newer.")]
    for package in KEY_PACKAGES:
        version = _version(package)
        checks.append(EnvironmentCheck(
            package, version is not None, version or "not installed",
            f"Install the course with its dependencies: pip install -e . (missing: {package}).",
        ))
    checks.append(_widgets_frontend())
    checks.extend(_sensors())
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    checks.append(EnvironmentCheck("Chromium (browser tests only)", chromium is not None, chromium or "not found",
                        "Only needed for make test's browser tests: apt-get install chromium.",
                        required=False))
    return checks


def format_report(checks: list[EnvironmentCheck]) -> str:
    """The report as aligned text lines, advice indented under what needs it."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        mark = "ok " if check.ok else ("!! " if check.required else "-- ")
        lines.append(f"{mark}{check.name:<{width}}  {check.detail}")
        if not check.ok and check.advice:
            lines.append(f"   {'':<{width}}  -> {check.advice}")
    problems = [c for c in checks if c.required and not c.ok]
    lines.append("")
    lines.append("Everything the course needs is here." if not problems else
                 f"{len(problems)} problem(s) to fix before the course will run (marked !!).")
    return "\n".join(lines)

# Old names (issue 22, DEVELOPERS.md "Result classes"), kept for one release with a DeprecationWarning
__getattr__ = renamed_classes(__name__, {"Check": EnvironmentCheck})
