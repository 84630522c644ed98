"""Load-test the HTTP API: ``jobscam serve --workers 2`` on a free loopback port.

Run: ``python benchmarks/bench_server.py [--requests 2000] [--clients 8] [--workers 2]``.
Starts the server (127.0.0.1 only), waits for ``/v1/health``, sends single-ad
``POST /v1/score`` requests with the project's labelled ads (``data/project_ads.jsonl``: English
and Indonesian, scams and genuine ads) from a few concurrent clients, then one round of
``/v1/score/batch`` requests, prints requests/s and p50/p95/p99 latency, and stops the server.
Bounded: it stops sending after ``--max-seconds`` even if requests remain.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HOST = "127.0.0.1"  # loopback only
ADS_FILE = Path(__file__).resolve().parent.parent / "data" / "project_ads.jsonl"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def load_ads() -> list[str]:
    ads = [json.loads(line)["text"] for line in ADS_FILE.read_text().splitlines() if line.strip()]
    if not ads:
        raise SystemExit(f"no ads in {ADS_FILE}")
    return ads


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} during start-up")
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                return time.perf_counter() - t0
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not healthy after {timeout:.0f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_clients(
    base: str, path: str, bodies: list[dict[str, object]], clients: int, deadline: float
) -> tuple[list[float], int, float]:
    """Send ``bodies`` from ``clients`` threads; return latencies (s), failures, wall time (s)."""
    per_client = [bodies[i::clients] for i in range(clients)]

    def work(mine: list[dict[str, object]]) -> tuple[list[float], int]:
        lat: list[float] = []
        failed = 0
        with httpx.Client(base_url=base, timeout=30) as client:
            for body in mine:
                if time.perf_counter() > deadline:
                    break
                t = time.perf_counter()
                r = client.post(path, json=body)
                lat.append(time.perf_counter() - t)
                failed += r.status_code != 200
        return lat, failed

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(work, per_client))
    wall = time.perf_counter() - t0
    return [x for lat, _ in results for x in lat], sum(f for _, f in results), wall


def report(name: str, lat: list[float], failed: int, wall: float, ads_per_request: int) -> None:
    n = len(lat)
    print(
        f"{name}: {n} requests ({failed} failed) in {wall:.1f} s -> {n / wall:.0f} req/s "
        f"({n * ads_per_request / wall:.0f} ads/s); latency p50 {percentile(lat, 0.5) * 1e3:.1f} ms"
        f", p95 {percentile(lat, 0.95) * 1e3:.1f} ms, p99 {percentile(lat, 0.99) * 1e3:.1f} ms, "
        f"mean {statistics.fmean(lat) * 1e3:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="single-ad requests to send")
    ap.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    ap.add_argument("--batch", type=int, default=50, help="ads per batch request")
    ap.add_argument("--max-seconds", type=float, default=120, help="stop sending after this")
    args = ap.parse_args()

    ads = load_ads()
    port = free_port()
    base = f"http://{HOST}:{port}"
    cmd = [sys.executable, "-m", "detector", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(args.workers)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        started = wait_healthy(base, proc, timeout=120)
        print(
            f"server: {args.workers} workers on {base}, healthy after {started:.1f} s; "
            f"{len(ads)} distinct ads, {args.clients} clients"
        )
        # Warm-up: the first request of each worker pays for lazy imports and caches.
        run_clients(base, "/v1/score", [{"text": a} for a in ads[: args.clients * 2]], 4, 1e18)

        deadline = time.perf_counter() + args.max_seconds
        singles = [{"text": ads[i % len(ads)]} for i in range(args.requests)]
        report(
            "POST /v1/score", *run_clients(base, "/v1/score", singles, args.clients, deadline), 1
        )

        n_batches = max(1, args.requests // args.batch // 4)
        batches = [
            {"ads": [{"text": ads[(i * args.batch + j) % len(ads)]} for j in range(args.batch)]}
            for i in range(n_batches)
        ]
        deadline = time.perf_counter() + args.max_seconds
        report(
            f"POST /v1/score/batch ({args.batch} ads)",
            *run_clients(base, "/v1/score/batch", batches, args.clients, deadline),
            args.batch,
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers, by our own group id
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if "Traceback" in err:
            print("server errors:\n" + err[-3000:], file=sys.stderr)


if __name__ == "__main__":
    main()
