"""Hardware failure: the computation overloads, overheats or corrupts the machine.

Everything here is real except the temperature:

* :class:`CPUStress` burns CPU in a bounded number of worker processes, for a bounded time,
  and always kills them (also on KeyboardInterrupt);
* :func:`machine_report` and :class:`ResourceSampler` read the machine with psutil;
* :class:`ModelServer` and :func:`measure_latency` time a model's requests, idle and under
  stress, with and without mitigations (fewer threads, lower priority, admission control,
  timeouts, batching);
* :func:`simulate_thermal` is a SIMULATED thermal model driven by a measured utilisation;
* :func:`run_memory_limited` lets a memory-limited child die of memory exhaustion;
* :func:`flip_bit`, :func:`bit_flip_effects` and :func:`redundant_predict` corrupt one bit of
  a weight and catch it with a checksum and with redundant computation.
"""

from ..._renamed import renamed_classes
from .bitflip import (
    RedundantPredictionResult,
    bit_field,
    bit_flip_effects,
    corrupt_model,
    flip_bit,
    model_checksum,
    redundant_predict,
    train_demo_model,
    weights_checksum,
)
from .contention import ContentionScenario, LatencyReport, measure_latency
from .memory import MemoryPressureRun, run_memory_limited
from .sampling import MIN_INTERVAL, MachineReport, ResourceSampler, cpu_busy_percent, machine_report
from .server import LatencyRun, ModelServer
from .settings import LatencySettings
from .stress import MAX_STRESS_SECONDS, CPUStress, StressBusyError, usable_cores
from .thermal import ThermalModel, ThermalRun, simulate_thermal

__all__ = [
    "MAX_STRESS_SECONDS",
    "MIN_INTERVAL",
    "CPUStress",
    "ContentionScenario",
    "LatencyReport",
    "LatencyRun",
    "LatencySettings",
    "MachineReport",
    "MemoryPressureRun",
    "ModelServer",
    "RedundantPredictionResult",
    "ResourceSampler",
    "StressBusyError",
    "ThermalModel",
    "ThermalRun",
    "bit_field",
    "bit_flip_effects",
    "corrupt_model",
    "cpu_busy_percent",
    "flip_bit",
    "machine_report",
    "measure_latency",
    "model_checksum",
    "redundant_predict",
    "run_memory_limited",
    "simulate_thermal",
    "train_demo_model",
    "usable_cores",
    "weights_checksum",
]

# Old names, for one release (DEVELOPERS.md, "Result classes").
__getattr__ = renamed_classes(__name__, {"Scenario": ContentionScenario, "MemoryPressureResult": MemoryPressureRun, "LatencyExperiment": LatencyReport,
                                         "RedundantPrediction": RedundantPredictionResult})
