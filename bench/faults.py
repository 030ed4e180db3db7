"""Fault benchmark: ``kill -9`` during import and ingest, then re-run.

For each moment (a share of a clean run's duration), a fresh data folder gets
the Hetionet import killed at that moment and re-run to completion, then the
ingest of real MTSamples notes killed at that moment and re-run. The result is
compared, by content digest (:func:`medkg.kg.store.fingerprint.store_fingerprint`),
with a clean run (named baseline, same run), and the graph folder is checked for
temporary import files left behind. Then ``medkg serve`` on that store: a query
worker killed in the middle of a researcher's query costs that query only
and the next query is answered (the killed one gets 503: retry).

    python bench/faults.py [--edges-per-type 20000] [--notes 150] [--moments 0.1 0.3 0.5 0.7 0.9]

Results go to ``bench/results/faults.json``.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _results import write_results

from medkg.kg.store.embedded import EmbeddedStore
from medkg.kg.store.fingerprint import store_fingerprint
from medkg.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDKG = [sys.executable, "-m", "medkg"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDKG_", "NEO4J_"))}
    env.update(MEDKG_DATA_DIR=str(data_dir), MEDKG_BACKEND="embedded", MEDKG_WARM_START="false")
    if "MEDKG_SHARED_DATA_DIR" in os.environ:
        env["MEDKG_SHARED_DATA_DIR"] = os.environ["MEDKG_SHARED_DATA_DIR"]
    return env


def _run(args: list[str], data_dir: Path, kill_after: float | None = None) -> tuple[int, float]:
    """Run a medkg command; with ``kill_after``, SIGKILL it then (if still running)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([*MEDKG, *args], env=_env(data_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return proc.returncode, time.perf_counter() - t0


def _fingerprint(data_dir: Path) -> tuple[str, int]:
    settings = Settings(data_dir=data_dir, backend="embedded")
    store = EmbeddedStore(settings.graph_dir / "medkg.lbug", settings)
    try:
        left = len(list(settings.graph_dir.glob(".medkg-import-*")))
        return store_fingerprint(store), left
    finally:
        store.close()


def _left_before_reopen(data_dir: Path) -> int:
    return len(list((data_dir / "graph").glob(".medkg-import-*")))


def _notes(path: Path, n: int, out: Path) -> Path:
    with path.open(newline="", encoding="utf-8") as fh, out.open("w", newline="") as w:
        writer = csv.writer(w)
        writer.writerow(["id", "text"])
        for i, row in enumerate(csv.DictReader(fh)):
            if i >= n:
                break
            if row.get("transcription"):
                writer.writerow([f"mts-{i}", row["transcription"]])
    return out


def _worker_kill(data_dir: Path) -> dict:
    """Serve the store, kill both query workers mid-query, ask again."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*MEDKG, "serve", "--port", str(port)], env=_env(data_dir),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        workers = [
            int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
            and _ppid(p) == server.pid and b"query_worker" in _cmdline(p)
        ]  # fmt: skip
        answer: dict = {}
        query = ("UNWIND range(1, 60000) AS x UNWIND range(1, 60000) AS y "
                 "WITH x, y WHERE (x * y) % 7 = 1 RETURN count(*)")  # fmt: skip

        def ask() -> None:
            r = httpx.post(base + "/v1/cypher", json={"query": query, "timeout_s": 60}, timeout=90)
            answer.update(status=r.status_code, detail=r.json().get("detail"))

        t = threading.Thread(target=ask)
        t.start()
        time.sleep(1.0)
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        t.join()
        t0 = time.perf_counter()
        while True:
            r = httpx.post(base + "/v1/cypher", json={"query": "RETURN 1 AS one"}, timeout=30)
            if r.status_code == 200 or time.perf_counter() - t0 > 30:
                break
            time.sleep(0.1)
        return {"killed_workers": len(workers), "killed_query_status": answer.get("status"),
                "killed_query_detail": answer.get("detail"), "next_query_status": r.status_code,
                "next_answer_after_s": round(time.perf_counter() - t0, 2)}  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)


def _ppid(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--edges-per-type", type=int, default=20_000)
    ap.add_argument("--notes", type=int, default=150)
    ap.add_argument("--moments", type=float, nargs="+", default=[0.1, 0.3, 0.5, 0.7, 0.9])
    ap.add_argument("--mtsamples", type=Path,
                    default=Settings().shared_data_dir / "mtsamples" / "mtsamples.csv")  # fmt: skip
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/faults.json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="medkg-faults-"))
    notes = _notes(args.mtsamples, args.notes, work / "notes.csv")
    import_cmd = ["import", "hetionet", "--max-edges-per-type", str(args.edges_per_type)]
    ingest_cmd = ["ingest", "notes", str(notes)]

    clean = work / "clean"
    code, t_import = _run(import_cmd, clean)
    assert code == 0, "clean import failed"
    code, t_ingest = _run(ingest_cmd, clean)
    assert code == 0, "clean ingest failed"
    reference, _ = _fingerprint(clean)
    print(f"clean run (baseline): import {t_import:.1f} s, ingest of {args.notes} notes "
          f"{t_ingest:.1f} s; digest {reference[:12]}")  # fmt: skip
    print(f"{'phase':<8} {'killed at':>9} {'was running':>11} {'tmp left':>8} {'rerun':>6} "
          f"{'identical':>9}")  # fmt: skip
    rows = []
    for moment in args.moments:
        data = work / f"kill-{moment}"
        # import killed, re-run, then ingest killed, re-run: the two faults in sequence
        at = moment * t_import
        code, _ = _run(import_cmd, data, kill_after=at)
        killed_import = code == -signal.SIGKILL
        left_import = _left_before_reopen(data)
        rerun_import, _ = _run(import_cmd, data)
        at2 = moment * t_ingest
        code, _took = _run(ingest_cmd, data, kill_after=at2)
        killed_ingest = code == -signal.SIGKILL
        rerun_ingest, _ = _run(ingest_cmd, data)
        digest, left_after = _fingerprint(data)
        same = digest == reference
        for phase, when, killed, left, rerun in (
            ("import", at, killed_import, left_import, rerun_import),
            ("ingest", at2, killed_ingest, None, rerun_ingest),
        ):
            rows.append({"phase": phase, "moment": moment, "killed_at_s": round(when, 2),
                         "was_running": killed, "tmp_left_after_kill": left,
                         "rerun_exit": rerun, "identical_to_clean": same,
                         "tmp_left_at_end": left_after})  # fmt: skip
            print(f"{phase:<8} {when:>8.1f}s {killed!s:>11} {left!s:>8} {rerun:>6} "
                  f"{same!s:>9}")  # fmt: skip
    worker = _worker_kill(work / f"kill-{args.moments[-1]}")
    print(f"query workers killed mid-query: {worker}")
    all_ok = all(r["identical_to_clean"] and r["rerun_exit"] == 0 and not r["tmp_left_at_end"]
                 for r in rows) and worker["next_query_status"] == 200  # fmt: skip
    print(f"every interrupted run re-ran to the clean graph, nothing left behind, "
          f"the API answered after its workers died: {'yes' if all_ok else 'NO'}")
    write_results(args.out, {"baseline": {"import_s": round(t_import, 1),
                  "ingest_s": round(t_ingest, 1), "notes": args.notes,
                  "edges_per_type": args.edges_per_type}, "rows": rows,
                  "worker_kill": worker, "all_ok": all_ok})  # fmt: skip
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
