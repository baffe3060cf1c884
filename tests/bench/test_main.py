"""`make bench` (bench/__main__.py): each benchmark runs in a process of its own, so none measures under the
settings another set up (Django is set up once a process: in one, bench.admin ran under bench.load's settings),
and a missed target is the command's exit status."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import bench.__main__ as bench_main


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    started: list[list[str]] = []
    failing = {"admin"}

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        started.append(command)
        return subprocess.CompletedProcess(command, 1 if command[-1].removeprefix("bench.") in failing else 0)

    monkeypatch.setattr(bench_main, "prepare_database", lambda: None)
    monkeypatch.setattr(bench_main.subprocess, "run", run)
    return started


def test_each_benchmark_runs_in_a_process_of_its_own_and_a_miss_fails_the_run(runs: list[list[str]]) -> None:
    assert bench_main.main([]) == 1
    assert runs == [[sys.executable, "-m", f"bench.{name}"] for name in bench_main.MODULES]


def test_benchmarks_that_meet_their_targets_exit_zero(runs: list[list[str]]) -> None:
    assert bench_main.main(["load", "reports"]) == 0
    assert runs == [[sys.executable, "-m", "bench.load"], [sys.executable, "-m", "bench.reports"]]
