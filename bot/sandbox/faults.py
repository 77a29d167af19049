"""Injected faults: an error code, latency, a dropped connection or an HTTP status, on a path, at a rate."""

from __future__ import annotations

import fnmatch
import random
from dataclasses import asdict, dataclass, field
from typing import Any

ERRMSGS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    42001: "access_token expired",
    43004: "require subscribe",
    45009: "reach max api daily quota limit",
    45047: "out of response count limit",
}


@dataclass
class Fault:
    """One injected fault; `count` is how many more times it may fire (None: forever)."""

    path: str
    errcode: int | None = None
    errmsg: str | None = None
    status: int | None = None
    latency_ms: float = 0.0
    drop: bool = False
    rate: float = 1.0
    count: int | None = None
    id: int = 0
    fired: int = 0

    def matches(self, path: str) -> bool:
        """True for the exact path, or a glob such as `/cgi-bin/*`."""
        return self.path == path or fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        """The fault as JSON."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], fault_id: int) -> Fault:
        """Build a fault from a control request body; raises ValueError on bad input."""
        path = data.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("path must be an absolute path such as /cgi-bin/message/template/send")
        rate = float(data.get("rate", 1.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        count = data.get("count")
        errcode = data.get("errcode")
        status = data.get("status")
        return cls(
            path=path,
            errcode=None if errcode is None else int(errcode),
            errmsg=data.get("errmsg"),
            status=None if status is None else int(status),
            latency_ms=float(data.get("latency_ms", 0) or 0),
            drop=bool(data.get("drop", False)),
            rate=rate,
            count=None if count is None else int(count),
            id=fault_id,
        )


@dataclass
class Outcome:
    """What the faults rolled for one request decided."""

    latency_ms: float = 0.0
    errcode: int | None = None
    errmsg: str | None = None
    status: int | None = None
    drop: bool = False
    fired: list[int] = field(default_factory=list)

    @property
    def short_circuit(self) -> bool:
        """True when the request must not be processed (an error is returned instead)."""
        return self.errcode is not None or self.status is not None


def roll(faults: list[Fault], path: str, rng: random.Random) -> Outcome:
    """Roll every fault on `path` independently; consumes counts. Call under the state lock."""
    outcome = Outcome()
    for fault in faults:
        if not fault.matches(path) or fault.count == 0:
            continue
        if fault.rate < 1.0 and rng.random() >= fault.rate:
            continue
        if fault.count is not None:
            fault.count -= 1
        fault.fired += 1
        outcome.fired.append(fault.id)
        outcome.latency_ms += fault.latency_ms
        outcome.drop = outcome.drop or fault.drop
        if outcome.errcode is None and outcome.status is None:
            if fault.errcode is not None:
                outcome.errcode = fault.errcode
                outcome.errmsg = fault.errmsg or ERRMSGS.get(fault.errcode, "injected error")
            elif fault.status is not None:
                outcome.status = fault.status
                outcome.errmsg = fault.errmsg
    return outcome
