"""A small HTTP/1.1-over-TLS load generator for the relay benchmarks (no wrk/h2load on the box).

N concurrent clients, each on its own keep-alive TLS connection with the office's client certificate,
POST pre-built request bodies as fast as the server answers, for a fixed time after a warm-up.
Reports requests/s, latency percentiles and errors (non-2xx, resets). Runs with uvloop when present.
Each process of ``processes`` runs ``clients / processes`` connections; their results are merged.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import ssl
import time
from typing import Callable, Dict, List


def _client_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    return ctx


async def _one_client(host, port, ctx, make_request: Callable[[int], bytes], start_index: int, step: int,
                      t_start: float, t_end: float, lat: List[float], counters: Dict[str, int]):
    i = start_index
    reader = writer = None
    while time.perf_counter() < t_end:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
            req = make_request(i)
            i += step
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            t1 = time.perf_counter()
            if t0 >= t_start:
                lat.append(t1 - t0)
                if 200 <= status < 300:
                    counters["ok"] += 1
                else:
                    counters["errors"] += 1
                    counters.setdefault(f"status_{status}", 0)
                    counters[f"status_{status}"] += 1
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError, ValueError):
            counters["errors"] += 1
            counters["resets"] = counters.get("resets", 0) + 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def _run_process(args) -> dict:
    (host, port, ca, cert, key, clients, warmup, duration, factory_spec, offset, step) = args
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    module, func, fargs = factory_spec
    import importlib

    make_request = getattr(importlib.import_module(module), func)(*fargs)
    ctx = _client_context(ca, cert, key)
    lat: List[float] = []
    counters = {"ok": 0, "errors": 0}

    async def main():
        now = time.perf_counter()
        t_start, t_end = now + warmup, now + warmup + duration
        await asyncio.gather(*(_one_client(host, port, ctx, make_request, offset + c, step, t_start, t_end,
                                           lat, counters) for c in range(clients)))

    asyncio.run(main())
    return {"lat": lat, **counters}


def run(host: str, port: int, *, ca: str, cert: str, key: str, clients: int = 50, processes: int = 1,
        warmup: float = 2.0, duration: float = 10.0, factory=("", "", ())) -> dict:
    """Drive the server; ``factory`` = (module, function, args) returning make_request(i) -> bytes."""
    per = [clients // processes + (1 if p < clients % processes else 0) for p in range(processes)]
    jobs = []
    offset = 0
    for p, n in enumerate(per):
        # request indices never collide: process p, client c uses offset_p + c, + clients, + 2*clients …
        jobs.append((host, port, ca, cert, key, n, warmup, duration, factory, offset, clients))
        offset += n
    if processes == 1:
        results = [_run_process(jobs[0])]
    else:
        with mp.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_run_process, jobs)
    lat = sorted(x for r in results for x in r["lat"])
    ok = sum(r["ok"] for r in results)
    errors = sum(r["errors"] for r in results)

    def pct(q):
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    extra: Dict[str, int] = {}
    for r in results:
        for k, v in r.items():
            if k.startswith(("status_", "resets")):
                extra[k] = extra.get(k, 0) + v
    return {"clients": clients, "duration_s": duration, "requests": ok + errors, "ok": ok, "errors": errors,
            "rps": ok / duration, "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
            "max_ms": (lat[-1] * 1000 if lat else float("nan")), **extra}

