#!/usr/bin/env python3
"""Fan-out: one mutation delivered to N WebSocket subscribers of one work item, open-loop at a
fixed event rate, against a raw Redis PUBLISH → WebSocket forwarder measured in the same run with
the same load client, the same N and the same rate (bench/fanout_raw.py).

    .venv/bin/python bench/fanout.py                                  # SQLite + in-memory broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/fanout.py --processes 2                # two server processes
    .venv/bin/python bench/fanout.py --find-max                       # rates 2, 5, 10, 20 events/s

Each event is `updateWorkItem(ref, input: {title: "fanout <seq> <send_ns>"})` (on the baseline,
a POST that PUBLISHes a message of about the same size); every subscriber parses the title of what
it receives, so each delivery is matched to its send time. Figures per system and rate: events
sent, deliveries/s (received ÷ first send → last receipt), p50/p99 delivery latency, missing
deliveries after --grace seconds, and the mutation's HTTP round trip during the fan-out and
against the same server with no subscribers (same rate, same duration); then the memory per idle
subscribed connection (server RSS after N subscribed and idle, minus before, ÷ N) and the ratios
Switchboard / raw.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from fanout_report import FIND_MAX_RATES, SystemResult, report, summarise
from workload import ROOT, SWITCHBOARD, prepare_database, write_targets

HERE = Path(__file__).resolve().parent
MUTATION = """mutation($ref: String!, $title: String!) {
    updateWorkItem(ref: $ref, input: {title: $title}) { ref version } }"""
LOGIN = 'mutation { login(email: "jane@example.com", password: "demo") { token } }'
SUBSCRIPTION = "subscription($ref: String!) { workItemUpdated(ref: $ref) { kind cursor values workItem { ref title version } } }"


class Processes:
    """Every process the bench starts; all of them end when the bench does, however it ends."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, command: list[str], env: dict[str, str], log: Path | None = None, **kwargs) -> subprocess.Popen:
        out = open(log, "wb") if log else subprocess.DEVNULL
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=kwargs.pop("stdout", out), stderr=out, **kwargs)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)
        self.started.clear()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    """Sends the events of one system (open loop) and collects what the load clients saw."""

    def __init__(self, http_urls: list[str], headers: dict[str, str], ref: str) -> None:
        self.http_urls = http_urls
        self.headers = headers
        self.ref = ref
        self.seq = itertools.count(1)
        self.http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))

    async def mutate(self, url: str, title: str) -> dict:
        response = await self.http.post(f"{url}/graphql", headers=self.headers,
                                        json={"query": MUTATION, "variables": {"ref": self.ref, "title": title}})
        body = response.json()
        if body.get("errors") or response.status_code != 200:
            raise RuntimeError(f"mutation failed ({response.status_code}): {body}")
        return body

    async def send(self, seq: int, url: str) -> tuple[int, float | None]:
        send_ns = time.monotonic_ns()
        try:
            await self.mutate(url, f"fanout {seq} {send_ns}")
        except Exception as exc:  # noqa: BLE001 - a failed event is counted and reported
            print(f"  event {seq}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
            return seq, None
        return seq, (time.monotonic_ns() - send_ns) / 1e6

    async def drive(self, rate: float, seconds: float) -> tuple[int, list[int], list[float], int]:
        """Open loop: event i leaves at start + i / rate whatever the earlier ones are doing.
        Returns (first send ns, the seqs that succeeded, their round trips in ms, failures)."""
        count = max(1, int(round(rate * seconds)))
        start = time.monotonic_ns()
        tasks = []
        for i in range(count):
            delay = (start + i * 1e9 / rate - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.send(next(self.seq), self.http_urls[i % len(self.http_urls)])))
        done = await asyncio.gather(*tasks)
        ok = [(seq, rtt) for seq, rtt in done if rtt is not None]
        return start, [seq for seq, _ in ok], sorted(rtt for _, rtt in ok), len(done) - len(ok)


class LoadClients:
    """The load client processes (bench/fanout_client.py), driven over their stdin/stdout."""

    def __init__(self, procs: Processes, count: int, ws_urls: list[str], token: str, ref: str,
                 processes: int, workdir: Path, compression: bool) -> None:
        self.clients = []
        share, extra = divmod(count, processes)
        offset = 0
        for i in range(processes):
            n = share + (1 if i < extra else 0)
            command = [sys.executable, str(HERE / "fanout_client.py"), "--count", str(n), "--offset", str(offset),
                       "--token", token, "--ref", ref, *itertools.chain.from_iterable(("--url", u) for u in ws_urls)]
            if compression:
                command.append("--compression")
            offset += n
            self.clients.append(procs.start(command, dict(os.environ), workdir / f"client{i}.log",
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE))

    async def _line(self, client: subprocess.Popen, timeout: float) -> dict:
        line = await asyncio.wait_for(asyncio.to_thread(client.stdout.readline), timeout)
        if not line:
            raise RuntimeError(f"a load client exited (status {client.poll()}); see its log")
        return json.loads(line)

    async def ready(self, timeout: float) -> list[dict]:
        return await asyncio.gather(*(self._line(c, timeout) for c in self.clients))

    def tell(self, command: dict) -> None:
        for client in self.clients:
            client.stdin.write((json.dumps(command) + "\n").encode())
            client.stdin.flush()

    async def finish(self, seqs: list[int], grace: float) -> list[dict]:
        self.tell({"finish": time.monotonic_ns() + int(grace * 1e9), "seqs": seqs})
        return await asyncio.gather(*(self._line(c, grace + 60) for c in self.clients))

    def quit(self) -> None:
        try:
            self.tell({"quit": True})
        except (BrokenPipeError, OSError):
            pass


async def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server on {url} exited with status {process.returncode}; see its log")
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on {url} not healthy after {timeout:g} s")


async def warm_up(driver: Driver, ws_url: str, token: str) -> None:
    """One subscriber and a few events before anything is measured: imports, caches, pools."""
    async with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=30) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        await asyncio.wait_for(socket.recv(), 30)
        await socket.send(json.dumps({"id": "1", "type": "subscribe",
                                      "payload": {"query": SUBSCRIPTION, "variables": {"ref": driver.ref}}}))
        await asyncio.wait_for(socket.recv(), 30)
        for url in driver.http_urls:
            for i in range(3):
                await driver.mutate(url, f"warm-up {i}")
                await asyncio.wait_for(socket.recv(), 30)


async def measure(name: str, procs: Processes, servers: list[subprocess.Popen], ports: list[int],
                  args: argparse.Namespace, rates: list[float], workdir: Path) -> SystemResult:
    http_urls = [f"http://127.0.0.1:{p}" for p in ports]
    ws_urls = [f"ws://127.0.0.1:{p}/graphql" for p in ports]
    for url, server in zip(http_urls, servers):
        await wait_healthy(url, server)
    token, ref = "raw", "T-1002"
    if name == "switchboard":
        async with httpx.AsyncClient(base_url=http_urls[0], timeout=30) as http:
            token = (await http.post("/graphql", json={"query": LOGIN})).json()["data"]["login"]["token"]
            headers = {"Authorization": f"Bearer {token}"}

            async def data(query: str, variables: dict) -> dict:
                return (await http.post("/graphql", headers=headers, json={"query": query, "variables": variables})).json()["data"]

            ref = (await write_targets(data))[0]
    driver = Driver(http_urls, {"Authorization": f"Bearer {token}"}, ref)
    try:
        await warm_up(driver, ws_urls[0], token)
        idle = {}
        for rate in rates:  # the mutation alone, no subscribers
            _, _, idle[rate], _ = await driver.drive(rate, args.seconds)
        await asyncio.sleep(args.settle / 2)
        # after the mutations alone: their pools and caches are not the subscribers' memory
        rss_before = sum(rss_kib(s.pid) for s in servers)
        clients = LoadClients(procs, args.subscribers, ws_urls, token, ref, args.client_processes, workdir, args.compression)
        started = time.monotonic()
        ready = await clients.ready(args.connect_timeout)
        connect_seconds = time.monotonic() - started
        subscribed = sum(r["ready"] for r in ready)
        for r in ready:
            for failure in r["failures"]:
                print(f"  {name}: a subscriber could not subscribe: {failure}", file=sys.stderr)
        await asyncio.sleep(args.settle)
        rss_after = sum(rss_kib(s.pid) for s in servers)
        results = []
        try:
            for rate in rates:
                first = next(driver.seq)
                clients.tell({"phase": [first, first + 1_000_000]})
                start_ns, seqs, rtts, failed = await driver.drive(rate, args.seconds)
                reports = await clients.finish(seqs, args.grace)
                results.append(summarise(rate, len(seqs) + failed, subscribed, start_ns, seqs, idle[rate], rtts, failed, reports))
                if args.find_max and results[-1].missing_share >= 0.01:
                    break  # degraded: higher rates would only be worse
        finally:
            clients.quit()
        return SystemResult(name, subscribed, (rss_after - rss_before) / max(1, subscribed), connect_seconds, results)
    finally:
        await driver.http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description="WebSocket fan-out benchmark: Switchboard against a raw Redis forwarder")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2.0, help="events per second (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each rate, idle and fanned out")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds after the last send before a delivery counts as missing")
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1, help="server processes (2: PostgreSQL + Redis)")
    parser.add_argument("--client-processes", type=int, default=1, help="load client processes")
    parser.add_argument("--find-max", action="store_true", help=f"run rates {', '.join(f'{r:g}' for r in FIND_MAX_RATES)} events/s")
    parser.add_argument("--rates", help="with --find-max: the rates to try instead, e.g. 20,40,60")
    parser.add_argument("--only", choices=("switchboard", "raw"), help="measure one system (no ratios)")
    parser.add_argument("--compression", action="store_true", help="clients offer permessage-deflate (as browsers do)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before the memory is read")
    parser.add_argument("--connect-timeout", type=float, default=180.0, help="seconds for all subscribers to subscribe")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds before the whole run is abandoned")
    args = parser.parse_args()
    if args.processes == 2 and not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
        parser.error("--processes 2 needs DATABASE_URL=postgres://… and REDIS_URL (two processes share them)")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers and clients
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"fanout: abandoned after --timeout {args.timeout} s"))
    signal.alarm(args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-fanout-"))
    procs = Processes()
    try:
        asyncio.run(bench(procs, workdir, args))
    except KeyboardInterrupt:
        sys.exit("fanout: interrupted")
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


async def bench(procs: Processes, workdir: Path, args: argparse.Namespace) -> None:
    ladder = [float(r) for r in args.rates.split(",")] if args.rates else FIND_MAX_RATES
    rates = ladder if args.find_max else [args.rate]
    channel = f"fanout-bench-{os.getpid()}"
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    env = await asyncio.to_thread(prepare_database, workdir, 0) if args.only != "raw" else {**os.environ, "SWITCHBOARD_VAR_DIR": str(workdir)}
    # the caps of one identity and of uvicorn's open connections, raised for N subscribers;
    # the scheduler's sweeps stay out of the figures
    env.update({
        "SWITCHBOARD_MAX_CONNECTIONS_PER_PRINCIPAL": str(args.subscribers + 10),
        "SWITCHBOARD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL": str(args.subscribers + 10),
        "SWITCHBOARD_LIMIT_CONCURRENCY": str(args.subscribers + 500),
        "SWITCHBOARD_SCHEDULER": "false",
        "SWITCHBOARD_CHANNEL_PREFIX": channel,
    })
    database = env.get("DATABASE_URL", "").split("://")[0] or "-"
    print(f"fanout: {args.subscribers} subscribers of one work item, {args.seconds:g} s per rate, {args.processes} server "
          f"process(es), database {database}, broker {'redis' if env.get('REDIS_URL') else 'in-memory'} "
          f"(baseline: redis {redis_url}); load client: {args.client_processes} separate process(es), "
          f"{'deflate offered' if args.compression else 'no compression'}; {os.cpu_count()} cores shared by all")
    systems = []
    for name in ("switchboard", "raw"):
        if args.only and args.only != name:
            continue
        ports = [free_port() for _ in range(args.processes)]
        servers = []
        for i, port in enumerate(ports):
            if name == "switchboard":
                command = [*SWITCHBOARD, "serve", "--port", str(port)]
            else:
                command = [sys.executable, str(HERE / "fanout_raw.py"), "--port", str(port), "--redis", redis_url, "--channel", channel]
            servers.append(procs.start(command, env, workdir / f"{name}{i}.log"))
        try:
            systems.append(await measure(name, procs, servers, ports, args, rates, workdir))
        except Exception:
            for i in range(len(ports)):
                log = (workdir / f"{name}{i}.log").read_text(errors="replace")
                print(f"--- {name} server {i} log (tail) ---\n{log[-3000:]}", file=sys.stderr)
            raise
        finally:
            for client_or_server in list(procs.started):
                procs.stop(client_or_server)
            procs.started.clear()
    report(systems, args)


if __name__ == "__main__":
    main()
