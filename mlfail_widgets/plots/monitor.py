"""The resource monitor's rolling chart: CPU per core and memory, machine and kernel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import style
from ._base import Artists, Drawn, axes_of, figure_for

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

__all__ = ["MonitorArtists", "draw", "update"]

_CORE_COLOURS = ["blue", "orange", "green", "sky", "purple", "yellow", "vermillion"]


@dataclass
class MonitorArtists(Artists):
    """What :func:`update` changes: CPU lines (left), memory lines (right), and the window."""

    cores: dict[str, Line2D]  # column name ("core_0"...) -> its line
    process_cpu: Line2D  # this kernel's CPU, as a share of the machine
    container_cpu: Line2D | None  # this container's CPU (None: no cgroup reading)
    machine_memory: Line2D
    process_memory: Line2D
    waiting: Text  # "waiting for the first sample..."
    window: float | None  # seconds of samples on the chart (None: all of them)
    memory_legend: list[Text]  # the memory legend's two entries, which carry the latest values


def _cores(samples: pd.DataFrame) -> list[str]:
    return [c for c in samples.columns if c.startswith("core_")]


def draw(samples: pd.DataFrame, ax: Any = None, *, window: float | None = 60.0) -> Drawn[MonitorArtists]:
    """CPU per core and memory over time, from a :class:`ResourceSampler`'s ``samples``.

    With a ``container_cpu_percent`` column (a sampler inside a container) the container's own
    CPU use is drawn beside the host's cores.

    ``window`` (seconds) keeps only the most recent samples on the chart (None: all of
    them). With ``ax`` (a pair of axes) the figure is drawn into them.

    Examples
    --------
    >>> import pandas as pd
    >>> samples = pd.DataFrame({"time": [0.5, 1.0], "cpu_percent": [10.0, 60.0],
    ...     "core_0": [0.0, 40.0], "core_1": [20.0, 80.0], "memory_percent": [5.0, 5.0],
    ...     "memory_used_gb": [1.0, 1.1], "process_cpu_percent": [3.0, 90.0],
    ...     "process_rss_mb": [200.0, 210.0], "load_1min": [0.1, 0.2]})
    >>> drawn = draw(samples)
    >>> sorted(drawn.artists.cores)
    ['core_0', 'core_1']
    """
    with style.context():
        fig, (cpu, memory) = figure_for(ax, (9.5, 3.4), ncols=2, width_ratios=[1.6, 1])
        cores: dict[str, Line2D] = {}
        for i, name in enumerate(_cores(samples)):
            colour = style.PALETTE[_CORE_COLOURS[i % len(_CORE_COLOURS)]]
            (cores[name],) = cpu.plot([], [], color=colour, linewidth=1.2, alpha=0.8,
                                      label=f"core {name.split('_')[1]}")
        (process_cpu,) = cpu.plot([], [], color=style.PALETTE["black"], linewidth=2.2,
                                  linestyle="--", label="this kernel (% of machine)")
        container = None
        if "container_cpu_percent" in samples.columns:  # psutil shows the host; the cgroup, us
            (container,) = cpu.plot([], [], color=style.PALETTE["vermillion"], linewidth=2.2,
                                    linestyle=":", label="this container (% of machine)")
        cpu.set_ylim(0, 128)
        cpu.set_yticks([0, 20, 40, 60, 80, 100])
        cpu.set_ylabel("CPU busy (%)")
        cpu.set_xlabel("time (s)")
        cpu.set_title("CPU busy, per core and this kernel")
        cpu.legend(loc="upper left", ncols=min(4, len(cores) + 1 + (container is not None)), fontsize=8.5)
        (machine_memory,) = memory.plot([], [], color=style.GOOD, label="machine, in use")
        (process_memory,) = memory.plot([], [], color=style.PALETTE["black"], linestyle="--",
                                        linewidth=2.2, label="this kernel (RSS)")
        memory.set_ylabel("memory in use (GB)")
        memory.set_xlabel("time (s)")
        memory.set_title("Memory in use")
        memory_legend = memory.legend(loc="upper left", fontsize=8.5)
        waiting = cpu.text(0.5, 0.5, "", transform=cpu.transAxes, ha="center", va="center",
                           color=style.NEUTRAL)
    drawn = Drawn(fig, MonitorArtists(cores=cores, process_cpu=process_cpu, container_cpu=container,
                                      machine_memory=machine_memory, process_memory=process_memory,
                                      waiting=waiting, window=window, memory_legend=memory_legend.get_texts()))
    update(drawn, samples)
    return drawn


def update(drawn: Drawn[MonitorArtists], samples: pd.DataFrame) -> None:
    """Show ``samples`` (the rolling window of them) on the existing artists."""
    with style.context():
        _update(drawn.artists, samples)


def _update(artists: MonitorArtists, samples: pd.DataFrame) -> None:
    window = artists.window
    cpu = axes_of(artists.process_cpu)
    memory = axes_of(artists.machine_memory)
    if len(samples) and window is not None:
        samples = samples[samples["time"] >= samples["time"].iloc[-1] - window]
    time = samples["time"].to_numpy()
    cores = _cores(samples)
    for name, line in artists.cores.items():
        line.set_data(time, samples[name].to_numpy() if name in samples else [])
    count = max(1, len(cores))
    artists.process_cpu.set_data(time, samples["process_cpu_percent"].to_numpy() / count)
    if artists.container_cpu is not None and "container_cpu_percent" in samples:
        artists.container_cpu.set_data(time, samples["container_cpu_percent"].to_numpy())
    used = samples["memory_used_gb"].to_numpy()
    rss = samples["process_rss_mb"].to_numpy() / 1000
    artists.machine_memory.set_data(time, used)
    artists.process_memory.set_data(time, rss)
    if len(samples) == 0:
        artists.waiting.set_text("waiting for the first sample...")
        for axes in (cpu, memory):
            axes.set_xlim(0, window or 10)
        cpu.set_title("CPU busy, per core and this kernel")
        return
    artists.waiting.set_text("")
    end = max(time[-1], window or time[-1], 1.0)
    start = max(0.0, end - window) if window else 0.0
    for axes in (cpu, memory):
        axes.set_xlim(start, end)
    memory.set_ylim(0, max(1.0, float(max(used.max(), rss.max())) * 1.6))
    last = samples.iloc[-1]
    now = (", ".join(f"{last[name]:.0f}%" for name in cores) if len(cores) <= 4
           else f"mean {last['cpu_percent']:.0f}%")
    cpu.set_title(f"CPU busy now: cores {now} (load {last['load_1min']:.2f})")
    machine_text, kernel_text = artists.memory_legend
    machine_text.set_text(f"machine, in use: {used[-1]:.1f} GB")
    kernel_text.set_text(f"this kernel (RSS): {rss[-1] * 1000:.0f} MB")
