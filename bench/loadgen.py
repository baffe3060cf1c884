"""A small closed-loop HTTP load generator: N clients, each on its own keep-alive connection, bounded in time and
requests. Only for 127.0.0.1. Returns throughput and latency percentiles."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

# A request maker gets (client index, request number) and returns (method, path, body, headers).
RequestMaker = Callable[[int, int], tuple[str, str, bytes | None, dict[str, str]]]


@dataclass
class Result:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(p) - 1]


def run(
    base_url: str,
    make_request: RequestMaker,
    *,
    clients: int,
    seconds: float = 8.0,
    max_requests: int = 20000,
    ok_statuses: frozenset[int] = frozenset({200, 201}),
) -> Result:
    parts = urlsplit(base_url)
    assert parts.hostname in {"127.0.0.1", "localhost", "::1"}, "load tests target this machine only"
    latencies: list[float] = []
    errors = 0
    sent = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        nonlocal errors, sent
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        number = 0
        while time.monotonic() < stop_at:
            with lock:
                if sent >= max_requests:
                    break
                sent += 1
            method, path, body, headers = make_request(index, number)
            number += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status in ok_statuses
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(clients, len(latencies), errors, time.monotonic() - started, latencies)
