"""What fanout.py prints: one phase's figures from what the load clients saw, and the table,
memory and ratios of both systems."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

FIND_MAX_RATES = [2.0, 5.0, 10.0, 20.0]


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, int(round(len(sorted_values) * p)) - 1))]


@dataclass
class RateResult:
    rate: float
    events: int
    offered: float  # deliveries/s asked for: rate × subscribers
    deliveries_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    missing: int
    expected: int
    idle_rtt: list[float]
    fanout_rtt: list[float]
    failed_mutations: int
    notes: list[str] = field(default_factory=list)

    @property
    def missing_share(self) -> float:
        return self.missing / self.expected if self.expected else 1.0


@dataclass
class SystemResult:
    name: str
    subscribed: int
    memory_kib_per_connection: float
    connect_seconds: float
    rates: list[RateResult]


def summarise(rate: float, events: int, subscribed: int, start_ns: int, seqs: list[int], idle: list[float],
              rtts: list[float], failed: int, reports: list[dict]) -> RateResult:
    latencies = sorted(us / 1000 for r in reports for us in r["latencies_us"])
    received = sum(r["received"] for r in reports)
    expected = sum(r["expected"] for r in reports)
    last = max((r["last_ns"] for r in reports if r["last_ns"]), default=None)
    # over the time the events were offered, or until the last delivery if that came later
    span = max(events / rate, (last - start_ns) / 1e9 if last else 0.0)
    per_s = received / span
    notes = []
    closed = sum(r["closed"] for r in reports)
    if closed:
        notes.append(f"{closed} connections closed by the server")
    repeats = sum(r["repeats"] for r in reports)
    if expected > received:
        # a push carries the item as it is when pushed: a late push of one event can show a later
        # event's title, and the earlier event then counts missing on that connection
        messages = sum(r["messages"] for r in reports)
        notes.append(f"{messages} messages received, {repeats} of them repeating an event their subscriber already had")
    for r in reports:
        notes += r["errors"]
    return RateResult(rate, events, rate * subscribed, per_s, percentile(latencies, 0.5), percentile(latencies, 0.99),
                      expected - received, expected, idle, rtts, failed, notes)


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(systems: list[SystemResult], args: argparse.Namespace) -> None:
    print(f"{'system':14}{'rate/s':>7}{'events':>7}{'deliv/s':>9}{'offered':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'missing':>9}{'mut idle p50/p99 ms':>21}{'mut fan-out p50/p99 ms':>24}")
    for system in systems:
        for r in system.rates:
            idle = f"{fmt(percentile(r.idle_rtt, 0.5))}/{fmt(percentile(r.idle_rtt, 0.99))}"
            busy = f"{fmt(percentile(r.fanout_rtt, 0.5))}/{fmt(percentile(r.fanout_rtt, 0.99))}"
            print(f"{system.name:14}{r.rate:7g}{r.events:7d}{r.deliveries_per_s:9.0f}{r.offered:9.0f}{fmt(r.p50_ms):>9}"
                  f"{fmt(r.p99_ms):>9}{r.missing:>9d}{idle:>21}{busy:>24}")
            for note in r.notes[:3] + ([f"{r.failed_mutations} events failed"] if r.failed_mutations else []):
                print(f"{'':14}  note: {note[:200]}")
    for system in systems:
        print(f"memory per idle subscribed connection, {system.name}: {system.memory_kib_per_connection:.1f} KiB "
              f"({system.subscribed} subscribed in {system.connect_seconds:.1f} s)")
    if len(systems) == 2:
        sb, raw = systems
        for a, b in zip(sb.rates, raw.rates):
            print(f"ratio switchboard/raw at {a.rate:g} events/s: deliveries/s {ratio(a.deliveries_per_s, b.deliveries_per_s, 2)}, "
                  f"p99 {ratio(a.p99_ms, b.p99_ms)}, mutation p99 during fan-out "
                  f"{ratio(percentile(a.fanout_rtt, 0.99), percentile(b.fanout_rtt, 0.99))}")
        print(f"ratio switchboard/raw memory per connection: {ratio(sb.memory_kib_per_connection, raw.memory_kib_per_connection)}")
        if args.find_max:
            best = [max((r for r in s.rates if r.missing_share < 0.01), key=lambda r: r.deliveries_per_s, default=None)
                    for s in systems]
            for system, r in zip(systems, best):
                print(f"max sustained (<1% missing), {system.name}: "
                      + (f"{r.deliveries_per_s:.0f} deliveries/s at {r.rate:g} events/s, p99 {fmt(r.p99_ms)} ms" if r else "none")
                      + (" (the highest rate tried: a lower bound)" if r and r.rate == FIND_MAX_RATES[-1] else ""))
            if all(best):
                print(f"ratio switchboard/raw max sustained deliveries/s: {ratio(best[0].deliveries_per_s, best[1].deliveries_per_s, 2)}")


def ratio(a: float | None, b: float | None, digits: int = 1) -> str:
    return "-" if not a or not b else f"{a / b:.{digits}f}x"
