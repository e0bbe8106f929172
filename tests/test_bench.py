"""The benchmark scripts run end to end (short runs on the embedded defaults), so they cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.backends import BACKEND

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(BACKEND != "sqlite", reason="one short run on the embedded defaults is enough")
@pytest.mark.parametrize("script, options", [
    ("graphql_http.py", ["--concurrency", "2"]),
    ("graphql_execute.py", []),
])
def test_bench_prints_every_operation_against_the_baseline(script, options):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, f"bench/{script}", "--items", "40", "--seconds", "0.3", *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = {line[:40].strip(): line[40:].split() for line in result.stdout.splitlines()[2:]}
    assert list(rows) == [
        "baseline { __typename }", "viewer", "workItem(ref)", "workItems(first: 20) + relations",
        "workItems(first: 100) + relations", "updateWorkItem(title)", "addNote",
    ], result.stdout
    for name, (rps, p50, p99, ratio) in rows.items():
        assert float(rps) > 0 and 0 < float(p50) <= float(p99), (name, result.stdout)
    assert float(rows["baseline { __typename }"][3].rstrip("x")) == 1.0


@pytest.mark.skipif(BACKEND != "sqlite", reason="one short run on the embedded defaults is enough")
def test_fanout_prints_both_systems_and_their_ratios():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "bench/fanout.py", "--subscribers", "20", "--rate", "4", "--seconds", "1", "--grace", "5",
         "--settle", "0.2", "--timeout", "100"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith(("switchboard ", "raw "))}
    assert list(rows) == ["switchboard", "raw"], result.stdout
    for name, (rate, events, per_s, offered, p50, p99, missing, idle, busy) in rows.items():
        assert (float(rate), int(events), float(offered)) == (4.0, 4, 80.0), (name, result.stdout)
        assert int(missing) < 80 and float(per_s) > 0 and 0 < float(p50) <= float(p99), (name, result.stdout)
        assert all(float(ms) > 0 for ms in idle.split("/") + busy.split("/")), (name, result.stdout)
    assert int(rows["raw"][6]) == 0, result.stdout
    assert any(line.startswith("memory per idle subscribed connection, switchboard:") for line in lines), result.stdout
    assert any(line.startswith("ratio switchboard/raw at 4 events/s: deliveries/s ") for line in lines), result.stdout


@pytest.mark.skipif(BACKEND != "sqlite", reason="one short run on the embedded defaults is enough")
def test_imports_bench_reports_exactly_the_bad_rows():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run([sys.executable, "bench/imports.py", "--rows", "120", "--bad", "6"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "120 rows, 6 bad" in result.stdout and "6 failed" in result.stdout, result.stdout
    assert "reported by row number: yes" in result.stdout, result.stdout


@pytest.mark.skipif(BACKEND != "sqlite", reason="one short run on the embedded defaults is enough")
def test_work_item_imports_bench_reports_exactly_the_bad_rows():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run([sys.executable, "bench/work_item_imports.py", "--rows", "60", "--bad", "6"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "60 rows, 6 bad" in result.stdout and "54 imported, 6 failed" in result.stdout, result.stdout
    assert "reported by row number and column: yes" in result.stdout, result.stdout
