"""The model server process: run with ``python -m``, talk JSON lines over stdin/stdout.

Started by :class:`ModelServer` with the BLAS thread count set in its environment (it must be
set before numpy loads, which is why the server is a process of its own). It exits when its
stdin closes, so it never outlives the notebook that started it.

Protocol: the first line is the model's configuration; the server answers ``{"ready": ...}``.
Each further line is one measurement; the answer holds one entry per request.
"""

from __future__ import annotations

import collections
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SERVED, SHED, TIMED_OUT = 0, 1, 2


def build_model(width: int, features: int, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """A two-hidden-layer perceptron with random weights: its arithmetic is what matters here."""
    import numpy as np

    rng = np.random.default_rng(seed)
    first = rng.normal(0, features**-0.5, (features, width))
    second = rng.normal(0, width**-0.5, (width, width))
    last = rng.normal(0, width**-0.5, width)

    def predict(rows):
        return np.tanh(np.tanh(rows @ first) @ second) @ last

    return predict


def serve(predict: Callable[[np.ndarray], np.ndarray], inputs: np.ndarray, *, rate: float, seconds: float, seed: int,
          max_batch: int = 1, max_queue: int | None = None, timeout: float | None = None) -> dict[str, list]:
    """Serve Poisson arrivals for ``seconds`` in real time; return per-request timings."""
    import numpy as np

    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / rate, int(rate * seconds * 1.5) + 20)
    arrival = np.cumsum(gaps)
    arrival = arrival[arrival < seconds]
    n = arrival.size
    start = np.full(n, np.nan)
    finish = np.full(n, np.nan)
    status = np.zeros(n, dtype=int)
    batch = np.zeros(n, dtype=int)
    pending: collections.deque = collections.deque()
    hard_stop = 1.5 * seconds + 0.25  # a backlog is abandoned after this, never served forever
    following = 0
    origin = time.perf_counter()
    while following < n or pending:
        now = time.perf_counter() - origin
        while following < n and arrival[following] <= now:  # admission at arrival time
            if max_queue is not None and len(pending) >= max_queue:
                status[following], finish[following] = SHED, arrival[following]
            else:
                pending.append(following)
            following += 1
        if timeout is not None:  # the client has given up on these: do not compute them
            while pending and now - arrival[pending[0]] > timeout:
                late = pending.popleft()
                status[late], finish[late] = TIMED_OUT, arrival[late] + timeout
        if not pending:
            if following < n:
                time.sleep(max(0.0, arrival[following] - now))
            continue
        if now > hard_stop:
            for late in pending:
                status[late], finish[late] = TIMED_OUT, now
            break
        taken = [pending.popleft() for _ in range(min(max_batch, len(pending)))]
        began = now  # the instant the queue was looked at: admission saw exactly this queue
        predict(inputs[np.asarray(taken) % len(inputs)])
        ended = time.perf_counter() - origin
        start[taken], finish[taken], batch[taken] = began, ended, len(taken)
        if timeout is not None:
            for k in taken:
                if ended - arrival[k] > timeout:
                    status[k], finish[k] = TIMED_OUT, arrival[k] + timeout
    return {"arrival": arrival.tolist(), "start": start.tolist(), "finish": finish.tolist(),
            "status": status.tolist(), "batch": batch.tolist()}


def main() -> None:
    import os

    import numpy as np

    config = json.loads(sys.stdin.readline())
    predict = build_model(config["width"], config["features"], config["seed"])
    inputs = np.random.default_rng(config["seed"] + 1).normal(size=(4096, config["features"]))
    timings = []
    for k in range(25):
        began = time.perf_counter()
        predict(inputs[[k]])
        timings.append(time.perf_counter() - began)
    print(json.dumps({"ready": True, "pid": os.getpid(),
                      "service_ms": 1000 * float(np.median(timings[5:]))}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("quit"):
            break
        print(json.dumps(serve(predict, inputs, **command)), flush=True)


if __name__ == "__main__":
    main()
