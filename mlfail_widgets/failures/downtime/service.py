"""A real prediction service on 127.0.0.1, with a feature store it depends on.

    client ──HTTP──> prediction service ──HTTP──> feature store

Both are real HTTP servers on ephemeral ports, each in background threads of this process.
When a :class:`~.faults.Fault` says a service is down, its listening socket is really closed,
so connections are refused; when the fault says it is back, it listens again on the same port.
The prediction service calls the store with a policy of its own (a timeout, and optionally a
fallback to average features), so a store outage can cascade into a prediction outage.

:class:`PredictionService` is a context manager: leaving the ``with`` block stops both servers
and joins every thread they started.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from ..._validation import ParameterError, check_bool, check_float, check_int, parameter_error
from .faults import MAX_LATENCY, Fault, ServiceClock
from .http_transport import HTTPTransport, _Endpoint
from .policies import CallFailed, Fallback, NoTimeout, Policy, Reply, Timeout

if TYPE_CHECKING:
    import numpy as np

__all__ = ["USERS", "HTTPTransport", "PredictionService", "baseline_prediction", "user_predictions"]

#: How many users the feature store knows (ids 0 .. USERS - 1).
USERS = 200


@lru_cache(maxsize=1)
def _model():
    """The feature table (one row of 3 features per user), a churn model, and the mean row."""
    import numpy as np

    from ...models import LogisticRegression

    rng = np.random.default_rng(3)
    features = rng.normal(size=(USERS, 3)).round(3)
    weights = np.array([1.5, -1.0, 0.5])
    train = rng.normal(size=(600, 3))
    labels = rng.random(600) < 1 / (1 + np.exp(-(train @ weights - 0.5)))
    model = LogisticRegression().fit(train, labels.astype(int))
    return features, model, features.mean(axis=0).round(3)


def user_predictions() -> tuple[np.ndarray, float]:
    """The service's answer for every user, and its answer from average features (degraded).

    Examples
    --------
    >>> predictions, degraded = user_predictions()
    >>> predictions.shape, 0 < degraded < 1
    ((200,), True)
    """
    features, model, mean = _model()
    return model.predict_proba(features)[:, 1], float(model.predict_proba(mean[None, :])[0, 1])


def baseline_prediction() -> float:
    """A client's fallback answer when it knows nothing about the user: the average prediction.

    Examples
    --------
    >>> 0 < baseline_prediction() < 1
    True
    """
    return float(user_predictions()[0].mean())


def _store_policy(timeout: float | None, fallback: bool) -> Policy:
    """How the prediction service calls its feature store."""
    policy: Policy = NoTimeout() if timeout is None else Timeout(timeout)
    if fallback:
        policy = Fallback(policy, baseline=_model()[2].tolist(), cache=False)
    return policy


def _user(query) -> int | None:
    try:
        user = int(query["user"][0])
    except (KeyError, ValueError, IndexError):
        return None
    return user if 0 <= user < USERS else None


class PredictionService:
    """A churn-prediction service and its feature store, served for real on 127.0.0.1.

    Parameters
    ----------
    port, store_port : int, default=0
        Ports to listen on; 0 lets the system pick free ones. A port in use is a clear error.
    store_timeout : float or None, default=0.25
        How long the prediction service waits for the feature store (None: forever).
    store_fallback : bool, default=False
        When the store fails, answer from average features (degraded) instead of HTTP 503.

    Attributes
    ----------
    url, store_url : str
        ``http://127.0.0.1:PORT`` of each service. Endpoints: ``/predict?user=N``,
        ``/features?user=N`` (store), ``/health`` (``/health?deep=1`` also checks the store).
    clock : ServiceClock
        The clock of the fault schedule; :meth:`inject` restarts it at 0.

    Examples
    --------
    >>> with PredictionService() as service:
    ...     healthy = service.request(3).degraded
    ...     service.inject(store=Fault(down=True))
    ...     shallow, deep = service.health(), service.health(deep=True)
    ...     try:
    ...         service.request(3)
    ...     except CallFailed as failure:
    ...         print("cascade:", failure)
    cascade: error: HTTP 503
    >>> healthy, shallow, deep
    (False, True, False)
    """

    def __init__(self, *, port: int = 0, store_port: int = 0, store_timeout: float | None = 0.25,
                 store_fallback: bool = False):
        port = check_int(port, "port", low=0, high=65535)
        store_port = check_int(store_port, "store_port", low=0, high=65535)
        self.clock = ServiceClock()
        self.errors: list[str] = []
        self.configure(store_timeout=store_timeout, store_fallback=store_fallback)
        self._store = _Endpoint("store", self._store_app, self.clock, store_port, "store_port")
        self._predictor = _Endpoint("prediction", self._predict_app, self.clock, port, "port")
        self._condition = threading.Condition()
        self._scheduler: threading.Thread | None = None
        self._closing = False

    # ------------------------------------------------------------------ the two apps
    def _store_app(self, path, query):
        user = _user(query)
        if path == "/health":
            return 200, {"value": "ok"}
        if path != "/features" or user is None:
            return 404, {"error": f"unknown path or user: {path}"}
        return 200, {"value": _model()[0][user].tolist()}

    def _predict_app(self, path, query):
        if path == "/health" and "deep" not in query:
            return 200, {"value": "ok"}
        user = 0 if path == "/health" else _user(query)
        if path not in ("/predict", "/health") or user is None:
            return 404, {"error": f"unknown path or user: {path}"}
        policy = self._store_check if path == "/health" else self._store_policy
        try:
            features = policy.call(HTTPTransport(self.store_url + "/features", self.clock), user)
        except CallFailed as failure:
            return 503, {"error": f"feature store failed ({failure.kind})"}
        if path == "/health":
            return 200, {"value": "ok"}
        probability = _model()[1].predict_proba([features.value])[0, 1]
        return 200, {"value": float(probability), "degraded": features.degraded}

    # ------------------------------------------------------------------ control
    def configure(self, *, store_timeout: float | None = 0.25, store_fallback: bool = False) -> None:
        """Change how the prediction service calls its feature store."""
        if store_timeout is not None:
            store_timeout = check_float(store_timeout, "store_timeout",
                                        low=0.001, high=MAX_LATENCY, fix="Use None for no timeout.")
        self.store_timeout = store_timeout
        self.store_fallback = check_bool(store_fallback, "store_fallback")
        self._store_policy = _store_policy(store_timeout, self.store_fallback)
        self._store_check = _store_policy(store_timeout, False)

    def inject(self, fault: Fault | None = None, store: Fault | None = None) -> None:
        """Give each service its fault (None: healthy) and restart the clock at 0."""
        for name, value in (("fault", fault), ("store", store)):
            if value is not None and not isinstance(value, Fault):
                raise parameter_error(name, "a Fault or None", value)
        if self._scheduler is None:  # closed or never started: up() would reopen the ports
            raise ParameterError(
                "This PredictionService is not running (closed, or never started): injecting a "
                "fault or measuring would reopen its ports with nobody to close them. Use it "
                "inside `with PredictionService() as service:` and measure inside the block.")
        with self._condition:
            self.errors.clear()
            self._predictor.set_fault(fault or Fault())
            self._store.set_fault(store or Fault())
            self.clock.restart()
            self._sync()
            self._condition.notify_all()
        if self.errors:
            raise ParameterError(self.errors[-1])

    @property
    def url(self) -> str:
        return self._predictor.url

    @property
    def store_url(self) -> str:
        return self._store.url

    @property
    def arrivals(self) -> dict:
        """Clock times of the requests each service accepted (refused ones never arrive)."""
        return {"prediction": list(self._predictor.arrivals), "store": list(self._store.arrivals)}

    def request(self, user: int = 0, timeout: float = 1.0) -> Reply:
        """One real prediction request; raises :class:`CallFailed` if it gets no answer."""
        user = check_int(user, "user", low=0, high=USERS - 1)
        timeout = check_float(timeout, "timeout", low=0.001, high=MAX_LATENCY)
        return HTTPTransport(self.url + "/predict", self.clock).send(user, timeout)

    def health(self, deep: bool = False, timeout: float = 1.0) -> bool:
        """Does ``/health`` answer 200? A deep check also asks the feature store."""
        path = "/health?deep=1" if deep else "/health"
        try:
            HTTPTransport(self.url + path, self.clock).send(0, timeout)
        except CallFailed:
            return False
        return True

    def _sync(self) -> None:
        """Bring each endpoint up or down as its fault says it should be now (lock held)."""
        now = self.clock.now()
        for endpoint in (self._store, self._predictor):
            try:
                endpoint.down() if endpoint.fault.is_down(now) else endpoint.up()
            except ParameterError as error:
                self.errors.append(str(error))

    def _schedule(self) -> None:
        with self._condition:
            while not self._closing:
                self._sync()
                now = self.clock.now()
                changes = [c for e in (self._store, self._predictor)
                           if (c := e.fault.next_change(now)) is not None]
                self._condition.wait(max(0.0, min(changes) - self.clock.now()) if changes else None)

    # ------------------------------------------------------------------ lifetime
    def start(self) -> PredictionService:
        """Start both servers (what ``with`` does); pair it with :meth:`close`."""
        if self._scheduler is not None:
            return self
        user_predictions()  # train the model now, not inside the first request
        try:
            self._store.up()
            self._predictor.up()
        except BaseException:
            self.close()
            raise
        self._closing = False
        self._scheduler = threading.Thread(target=self._schedule, name="mlfail-downtime-schedule",
                                           daemon=True)
        self._scheduler.start()
        return self

    def __enter__(self) -> PredictionService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop both servers and join every thread they started."""
        with self._condition:
            self._closing = True
            self._condition.notify_all()
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
            self._scheduler = None
        self._predictor.close()
        self._store.close()

    def __repr__(self) -> str:
        state = "up" if self._predictor.is_up else "down"
        return f"<PredictionService {self.url} ({state}); feature store {self.store_url}>"
