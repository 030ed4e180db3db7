"""Benchmark: HTTP latency and throughput of the API on loopback, embedded store.

Starts ``medkg serve`` (one process, as the embedded store requires) over a
store holding the full shipped Hetionet, the vocabularies and the sample
trials (the README's main graph), then drives it with closed-loop
clients (each sends its next request when the last one answered) at 1, 10 and
50 concurrent clients, for: neighbours, search, a parameterised Cypher query,
a treatment recommendation for a disease, and diagnosis and trial matching for a
patient described in free text (symptom names from the graph, 300 distinct
descriptions; ``--patients 100000`` makes nearly every request a new one, which
the ranking cache cannot serve). Any non-2xx answer counts as an error. Before any load, the
first request to each endpoint after ``/readyz`` turned ready is timed (the
cold start a user meets), and so is the time to ready.

Named baseline, same run: ``healthz`` (no store work), the floor that the
HTTP stack, the JSON encoding and this client cost on this machine. Reads are
spread over every disease and 600 drugs and genes (and search terms cut from
their names); the API's response cache (cleared on every write) serves
repeats, as it would for researchers browsing the same neighbourhoods.

The load generator is this Python process (asyncio + httpx) on the same
2 cores as the server, so at 50 clients it measures both; ``--wrk`` uses wrk
(Debian package) instead, which costs far less CPU; it is used by default when
installed (``apt-get install wrk``).

Targets: p99 under 50 ms for neighbours and search at 50 clients (issue 5);
p99 under 100 ms for recommend, diagnose and trials at 50 clients, and each
endpoint's first request within its steady-state latency (issue 20).

    python bench/api_load.py [--seconds 5] [--clients 1 10 50]

Results go to ``bench/results/api_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from _results import write_results

ROOT = Path(__file__).resolve().parents[1]
TARGET_P99_MS = 50.0
TARGET_RANK_P99_MS = 100.0
RANKINGS = ("recommend", "diagnose", "trials")
#: Filled from the served graph at start: every disease, 300 drugs and 300 genes, and
#: search terms cut from their names, so reads spread over many nodes (not one hot key).
DISEASES: list[str] = []
NODES: list[str] = []
QUERIES: list[str] = []
PATIENTS: list[str] = []
#: How many distinct patient descriptions diagnose and trials draw from (--patients).
N_PATIENTS = [300]


def _sample(base: str) -> None:
    import httpx

    def ids(cypher: str) -> list[list]:
        r = httpx.post(base + "/v1/cypher", json={"query": cypher, "limit": 100_000}, timeout=60)
        r.raise_for_status()
        return [list(row.values()) for row in r.json()["rows"]]

    diseases = ids("MATCH (d:Disease) RETURN d.id, d.name ORDER BY d.id")
    drugs = ids("MATCH (d:Drug) RETURN d.id, d.name ORDER BY d.id")[::5][:300]
    genes = ids("MATCH (g:Gene) RETURN g.id, g.name ORDER BY g.id")[::60][:300]
    DISEASES[:] = [i for i, _ in diseases]
    NODES[:] = [i for i, _ in diseases + drugs + genes]
    QUERIES[:] = sorted({n[: max(3, len(n) // 2)] for _, n in diseases + drugs if n})
    symptoms = [n for _, n in ids(
        "MATCH (s:Symptom)<-[:PRESENTS]-(:Disease) RETURN DISTINCT s.id, s.name ORDER BY s.id"
    ) if n]  # fmt: skip
    rng = random.Random(7)
    PATIENTS[:] = [
        "Patient reports " + ", ".join(rng.sample(symptoms, 3)) + " for two weeks. Denies fever."
        for _ in range(N_PATIENTS[0])
    ]


def _requests(kind: str, rng: random.Random) -> tuple[str, str, dict | None]:
    d = rng.choice(DISEASES)
    if kind == "healthz":
        return "GET", "/healthz", None
    if kind == "neighbours":
        return "GET", f"/v1/nodes/{rng.choice(NODES)}/neighbours?limit=50", None
    if kind == "search":
        return "GET", f"/v1/search?q={quote(rng.choice(QUERIES))}&limit=20", None
    if kind == "cypher":
        return (
            "POST",
            "/v1/cypher",
            {
                "query": "MATCH (c:Drug)-[:TREATS]->(x:Disease {id: $id}) RETURN c.id, c.name",
                "params": {"id": d},
            },
        )
    if kind == "recommend":
        return "POST", "/v1/recommend/treatments", {"disease_id": d, "limit": 10}
    if kind == "diagnose":
        return "POST", "/v1/diagnose", {"patient": {"text": rng.choice(PATIENTS)}, "limit": 10}
    if kind == "trials":
        return "POST", "/v1/trials/match", {"patient": {"text": rng.choice(PATIENTS)}, "limit": 10}
    raise ValueError(kind)


def _cold(base: str, kinds: list[str]) -> list[dict]:
    """The first request to each endpoint, then the median of five more (steady state)."""
    import httpx

    rows = []
    rng = random.Random(99)
    with httpx.Client(base_url=base, timeout=300) as client:
        for kind in kinds:
            times = []
            for _ in range(6):
                method, path, body = _requests(kind, rng)
                t0 = time.perf_counter()
                r = client.request(method, path, json=body)
                times.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            steady = sorted(times[1:])[2]
            rows.append({"endpoint": kind, "first_ms": round(times[0], 1),
                         "steady_median_ms": round(steady, 1)})  # fmt: skip
    return rows


async def _load(base: str, kind: str, clients: int, seconds: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(i: int) -> None:
            nonlocal errors
            rng = random.Random(i)
            while time.perf_counter() < stop:
                method, path, body = _requests(kind, rng)
                t0 = time.perf_counter()
                r = await client.request(method, path, json=body)
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code >= 300:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    return {
        "endpoint": kind,
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


_WRK_LUA = """
local reqs = {%s}
local headers = {["Content-Type"] = "application/json"}
math.randomseed(os.time())
request = function()
  local r = reqs[math.random(#reqs)]
  return wrk.format(r[1], r[2], headers, r[3])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "errors": %%d, "duration_us": %%d, "p50": %%f, "p95": %%f, '
    .. '"p99": %%f}\\n', summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua_str(text: str) -> str:
    return "[==[" + text + "]==]"


def _load_wrk(base: str, kind: str, clients: int, seconds: float) -> dict:
    """The same request mix, sent by wrk (C, event loop) from its own process."""
    rng = random.Random(0)
    reqs = []
    for _ in range(max(2000, min(N_PATIENTS[0], 20_000))):  # enough distinct requests
        method, path, body = _requests(kind, rng)
        lua_body = _lua_str(json.dumps(body)) if body else "nil"
        reqs.append(f"{{{_lua_str(method)}, {_lua_str(path)}, {lua_body}}}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_WRK_LUA % ",".join(reqs))
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, clients)}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout", "30s",  # a slow answer is latency, not an error
            "-s",
            fh.name,
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(fh.name)
    data = json.loads(next(line for line in out.splitlines() if line.startswith("WRKJSON"))[8:])
    wall = data["duration_us"] / 1e6
    return {
        "endpoint": kind,
        "clients": clients,
        "requests": data["requests"],
        "errors": data["errors"],
        "rps": round(data["requests"] / wall, 1),
        "p50_ms": round(data["p50"] / 1000, 2),
        "p95_ms": round(data["p95"] / 1000, 2),
        "p99_ms": round(data["p99"] / 1000, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    ap.add_argument(
        "--endpoints", nargs="+",
        default=["healthz", "neighbours", "search", "cypher", "recommend", "diagnose", "trials"],
    )  # fmt: skip
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="an existing data dir with Hetionet imported (default: a fresh one)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/api_load.json")
    ap.add_argument(
        "--patients", type=int, default=300,
        help="distinct patient descriptions (a large number: every request is new, no cache)",
    )  # fmt: skip
    ap.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (auto: wrk when installed)",
    )
    args = ap.parse_args()
    N_PATIENTS[0] = args.patients
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)

    env = dict(os.environ, MEDKG_BACKEND="embedded", MEDKG_LOG_LEVEL="WARNING")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="medkg-api-bench-"))
    env["MEDKG_DATA_DIR"] = str(data_dir)
    medkg = [sys.executable, "-m", "medkg"]
    if args.data_dir is None:
        for source in ("hetionet", "vocabularies"):  # the README's main graph
            subprocess.run(
                [*medkg, "import", source], env=env, check=True, stdout=subprocess.DEVNULL
            )
        trials = ROOT.parent / "shared/data/trialgpt/sigir/corpus-sample.jsonl"
        if trials.exists():
            subprocess.run([*medkg, "import", "trials", str(trials)], env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen(
        [*medkg, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if httpx.get(base + "/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        ready_s = round(time.perf_counter() - started, 1)
        _sample(base)
        cold = _cold(base, [k for k in args.endpoints if k != "healthz"])
        print(f"ready after {ready_s} s (process start to /readyz 200, warm start included)")
        print(f"{'endpoint':<12} {'first ms':>9} {'steady ms':>9}")
        for c in cold:
            print(f"{c['endpoint']:<12} {c['first_ms']:>9} {c['steady_median_ms']:>9}")
        print(
            f"{len(NODES)} nodes and {len(QUERIES)} search terms sampled from the graph; "
            f"load generator: {'wrk' if use_wrk else 'python (asyncio + httpx)'}"
        )
        rows = []
        # one warm-up pass per endpoint (first recommend loads nothing, but caches warm)
        for kind in args.endpoints:
            asyncio.run(_load(base, kind, 1, 0.5))
        print(
            f"{'endpoint':<12} {'clients':>7} {'requests':>8} {'errors':>6} {'rps':>8} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        )
        for kind in args.endpoints:
            for n in args.clients:
                r = (
                    _load_wrk(base, kind, n, args.seconds)
                    if use_wrk
                    else asyncio.run(_load(base, kind, n, args.seconds))
                )
                rows.append(r)
                print(
                    f"{kind:<12} {n:>7} {r['requests']:>8} {r['errors']:>6} {r['rps']:>8} "
                    f"{r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}"
                )
    finally:
        server.terminate()
        server.wait(10)
    at50 = [
        r
        for r in rows
        if r["clients"] == max(args.clients) and r["endpoint"] in ("neighbours", "search")
    ]
    met = all(r["p99_ms"] < TARGET_P99_MS for r in at50)
    rank50 = [r for r in rows if r["clients"] == max(args.clients) and r["endpoint"] in RANKINGS]
    rank_met = all(r["p99_ms"] < TARGET_RANK_P99_MS for r in rank50)
    cold_met = all(c["first_ms"] <= 2 * c["steady_median_ms"] + 20 for c in cold)
    print(
        f"target p99 < {TARGET_P99_MS} ms for neighbours and search at "
        f"{max(args.clients)} clients: {'met' if met else 'NOT met'}; "
        f"p99 < {TARGET_RANK_P99_MS} ms for {', '.join(RANKINGS)}: "
        f"{'met' if rank_met else 'NOT met'}; first request within 2x steady (+20 ms): "
        f"{'met' if cold_met else 'NOT met'}; errors: {sum(r['errors'] for r in rows)}"
    )
    write_results(
        args.out,
        {
            "load_generator": "wrk" if use_wrk else "python",
            "seconds_per_row": args.seconds,
            "patients": args.patients,
            "rows": rows,
            "ready_s": ready_s,
            "cold": cold,
            "target_met": met,
            "rank_target_met": rank_met,
            "cold_target_met": cold_met,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
