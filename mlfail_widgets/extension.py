"""The IPython extension: ``%load_ext mlfail_widgets`` adds the course's magics.

* ``%mlfail_env``: the environment report of ``mlfail doctor``.
* ``%mlfail_monitor [seconds]``: a live CPU and memory monitor of this machine and kernel
  (stops by itself after ``seconds``, default 120, or with ``%mlfail_monitor stop``).
"""

from __future__ import annotations

from typing import Any

_MONITORS: list = []


def mlfail_env(line: str = "") -> None:
    """Print what this machine has for the course, and what to do about anything missing."""
    from .doctor import environment_report, format_report

    print(format_report(environment_report()))


def mlfail_monitor(line: str = "") -> Any:
    """Start a live resource monitor; ``stop`` stops every monitor started here."""
    from IPython.display import display

    from ._validation import ParameterError
    from .widgets.monitor import ResourceMonitor

    argument = line.strip()
    if argument == "stop":
        while _MONITORS:
            _MONITORS.pop().close()
        print("Resource monitors stopped.")
        return None
    try:
        seconds = float(argument) if argument else 120.0
    except ValueError:
        raise ParameterError(
            f"%mlfail_monitor takes a duration in seconds or 'stop'; got {argument!r}."
        ) from None
    monitor = ResourceMonitor(duration=seconds)
    _MONITORS.append(monitor)
    monitor.start()
    display(monitor)
    return None


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(mlfail_env, magic_kind="line", magic_name="mlfail_env")
    ipython.register_magic_function(mlfail_monitor, magic_kind="line", magic_name="mlfail_monitor")


def unload_ipython_extension(ipython: Any) -> None:
    while _MONITORS:
        _MONITORS.pop().close()
