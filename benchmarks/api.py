"""Signal API client + emulator on loopback: requests per second and p50/p99 latency.

    python benchmarks/api.py [--requests 2000] [--concurrency 32] [--json]

The emulator runs in a child process (so client and server do not share one interpreter lock), with an
in-memory SQLite. Each measurement sends `updateprice` on one live signal (the same body each time, as a
re-send would), through:
  - raw:    a bare `httpx.AsyncClient.put` with the same headers and body (the floor);
  - client: `SignalApiClient.update_price(...)` (envelope reading, typed result, retry bookkeeping).
Sequential rounds alternate raw/client blocks to cancel drift; "added" is client minus raw at the same
percentile. A second pass uses `httpx.MockTransport` (no network) to isolate the client's own CPU cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.client import SignalApiClient  # noqa: E402
from bridge.emulator import EmulatorKey, EmulatorServer  # noqa: E402

KEY = EmulatorKey("bench-key", "bench-secret", "bench")
V2_BODY = {
    "coin": "ETH",
    "trade_market": "USDT",
    "exchange": "BINANCE",
    "invest": 5,
    "entry_price_min": "3050",
    "entry_price_max": "3150",
    "exit_price_1": "3300",
    "stop_loss": "2920",
}


async def _serve_forever() -> None:
    async with EmulatorServer([KEY]) as server:
        print(server.base_url, flush=True)
        await asyncio.Event().wait()


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def _timed(call: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _throughput(call: Callable[[], Awaitable[Any]], total: int, concurrency: int) -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


async def _compare(
    raw_call: Callable[[], Awaitable[Any]],
    client_call: Callable[[], Awaitable[Any]],
    requests: int,
    concurrency: int,
    rounds: int = 10,
) -> dict[str, Any]:
    for call in (raw_call, client_call):  # warm up connections and code paths
        await _timed(call, 100)
    raw: list[float] = []
    client: list[float] = []
    block = max(1, requests // rounds)
    for _ in range(rounds):
        raw += await _timed(raw_call, block)
        client += await _timed(client_call, block)
    result: dict[str, Any] = {}
    for name, samples in (("raw", raw), ("client", client)):
        result[name] = {
            "p50_ms": round(_percentile(samples, 50), 3),
            "p99_ms": round(_percentile(samples, 99), 3),
            "mean_ms": round(statistics.fmean(samples), 3),
            "sequential_rps": round(1000 / statistics.fmean(samples)),
        }
    if concurrency > 1:
        # alternate, as for latency: the emulator's pace drifts as its SQLite history grows
        raw_rps: list[float] = []
        client_rps: list[float] = []
        for _ in range(4):
            raw_rps.append(await _throughput(raw_call, max(concurrency, requests // 4), concurrency))
            client_rps.append(await _throughput(client_call, max(concurrency, requests // 4), concurrency))
        result["raw"]["concurrent_rps"] = round(statistics.median(raw_rps))
        result["client"]["concurrent_rps"] = round(statistics.median(client_rps))
    result["added_p50_ms"] = round(result["client"]["p50_ms"] - result["raw"]["p50_ms"], 3)
    result["added_p99_ms"] = round(result["client"]["p99_ms"] - result["raw"]["p99_ms"], 3)
    return result


async def _loopback(base_url: str, requests: int, concurrency: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {
        "anny-api-key": KEY.api_key,
        "anny-api-secret": KEY.api_secret,
        "content-type": "application/json",
    }
    async with (
        SignalApiClient(base_url, KEY.api_key, KEY.api_secret, max_connections=concurrency) as client,
        httpx.AsyncClient(base_url=base_url, limits=limits, trust_env=False) as raw,
    ):
        pid = str((await client.create_v2(V2_BODY)).parent_signal_id)
        content = json.dumps({"parent_signal_id": pid, "stop_loss": "2950"}, separators=(",", ":")).encode()

        async def raw_call() -> None:
            answer = await raw.put(f"/v1/signal/{pid}/updateprice", content=content, headers=headers)
            answer.raise_for_status()

        async def client_call() -> None:
            await client.update_price(pid, stop_loss="2950")

        return await _compare(raw_call, client_call, requests, concurrency)


async def _in_process(requests: int) -> dict[str, Any]:
    """No network: both sides answer from an httpx.MockTransport, so the difference is the client's cost."""
    answer = {
        "result": {"type": "OPERATION_PERFORMED"},
        "payload": {"parent_signal_id": "s1", "result": "success"},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    headers = {
        "anny-api-key": KEY.api_key,
        "anny-api-secret": KEY.api_secret,
        "content-type": "application/json",
    }
    content = b'{"parent_signal_id":"s1","stop_loss":"2950"}'
    async with (
        SignalApiClient(
            "http://mock", KEY.api_key, KEY.api_secret, transport=httpx.MockTransport(handler)
        ) as client,
        httpx.AsyncClient(base_url="http://mock", transport=httpx.MockTransport(handler)) as raw,
    ):

        async def raw_call() -> None:
            (await raw.put("/v1/signal/s1/updateprice", content=content, headers=headers)).json()

        async def client_call() -> None:
            await client.update_price("s1", stop_loss="2950")

        return await _compare(raw_call, client_call, requests, concurrency=1)


def _machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, httpx {httpx.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--serve-emulator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_emulator:
        asyncio.run(_serve_forever())
        return

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-emulator"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        base_url = child.stdout.readline().strip()
        loopback = asyncio.run(_loopback(base_url, args.requests, args.concurrency))
    finally:
        child.terminate()
        child.wait(timeout=10)
    in_process = asyncio.run(_in_process(args.requests))
    report = {
        "machine": _machine(),
        "requests": args.requests,
        "loopback": loopback,
        "no_network": in_process,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"machine: {report['machine']}; {args.requests} sequential updateprice per side")
    print(f"{'':26}{'p50 ms':>9}{'p99 ms':>9}{'seq rps':>9}{'conc rps':>10}")
    for title, block in (("loopback", loopback), ("no network (mock)", in_process)):
        for side in ("raw", "client"):
            row = block[side]
            conc = str(row.get("concurrent_rps", "-"))
            label = f"{title} {side}"
            print(f"{label:26}{row['p50_ms']:>9.3f}{row['p99_ms']:>9.3f}{row['sequential_rps']:>9}{conc:>10}")
        print(f"{title + ' added':26}{block['added_p50_ms']:>9.3f}{block['added_p99_ms']:>9.3f}")
    if args.concurrency > 1:
        print(f"(concurrent rps: {args.concurrency} requests in flight)")


if __name__ == "__main__":
    main()
