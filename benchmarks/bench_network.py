"""Benchmark ad-network clustering (issue #5): rows/s, wall time, peak memory, planted P/R.

Builds a board of ``--rows`` ads with ``bench_scan.build_board`` (EMSCAD resampled, at run
time, into benchmarks/out/, which git ignores), then makes it a board of distinct ads
with planted networks, and gives it the columns a scan adds (``contacts``,
``scam_probability``, ``risk``, ``categories``, ``line``), so only clustering is timed,
not scoring:

- Resampling repeats every EMSCAD ad about rows/2,244 times, which would make the whole
  board reposts of a few thousand ads. Each background ad's description and requirements
  are therefore shuffled word by word (same vocabulary, so MinHash costs about the same;
  no 4-word shingles in common). A description under 30 words (e.g. "Descripción de
  prueba") has too few orders to stay distinct over hundreds of copies, so it is swapped
  for a random longer one before shuffling. Titles, companies and locations stay real.
- Contacts: every ad carries the board's footer e-mail and 5% a big employer's hotline
  (both must be treated as hubs); half have their own phone number.
- Planted networks (about 1% of rows, 4 to 30 ads each): one WhatsApp number and one
  template (a real, unshuffled EMSCAD description; no two templates alike, checked with
  datasketch's MinHashLSH at Jaccard 0.2) recur with a word changed, under a different
  company name in every ad; some members share only the number, some only the text.

Each engine runs in a subprocess whose process tree (Dask nanny and workers included) is
sampled for PSS, like bench_scan.py:

    python benchmarks/bench_network.py                    # 100,000 rows, both engines
    python benchmarks/bench_network.py --rows 1000000     # the issue's 1M rows
    python benchmarks/bench_network.py --engine dask      # one engine

``local`` is the collector ``jobscam scan --clusters`` feeds, chunk by chunk, in one
process (one core: in a real scan the other cores score); ``dask`` is ``cluster_dask`` on a
``LocalCluster`` of ``--workers`` single-threaded worker processes (2 cores by default),
one partition per 50,000-row Parquet file. Goal: 1M ads in minutes on 2 cores, bounded
memory, planted precision and recall >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import OUT, ROOT, build_board  # noqa: E402

PART_ROWS = 50_000
FOOTER = "email:jobs@board.example"
HOTLINE = "phone:+622150001234"


def _shuffled(texts: list[str], rng: np.random.Generator) -> list[str]:
    out = []
    for t in texts:
        words = t.split()
        out.append(" ".join(words[i] for i in rng.permutation(len(words))))
    return out


def _templates(src: pd.DataFrame, k: int, rng: np.random.Generator) -> list[str]:
    """``k`` real descriptions of 60+ words, no two alike (estimated Jaccard < 0.2).

    EMSCAD holds many near-identical descriptions (one company's ads); planting two of
    them as different networks would make a correct text link look like a false one.
    """
    import zlib

    from datasketch import MinHash, MinHashLSH

    from detector.network import shingles

    texts = src["description"].dropna().drop_duplicates().tolist()
    lsh = MinHashLSH(threshold=0.2, num_perm=64)
    chosen: list[str] = []
    for i in rng.permutation(len(texts)).tolist():
        t = texts[i]
        grams = shingles(t) if len(t.split()) >= 60 else None
        if not grams:
            continue
        m = MinHash(num_perm=64, seed=1, hashfunc=zlib.crc32)
        m.update_batch(grams)
        if lsh.query(m):
            continue
        lsh.insert(str(i), m)
        chosen.append(t)
        if len(chosen) == k:
            break
    return chosen


def build_network_board(rows: int, seed: int = 0) -> tuple[Path, Path]:
    """A directory of scored-like Parquet parts and a truth file (planted network per row)."""
    folder = OUT / f"network_board_v3_{rows}"
    truth_path = OUT / f"network_truth_v3_{rows}.npy"
    if folder.exists() and truth_path.exists():
        return folder, truth_path
    rng = np.random.default_rng(seed)
    board = pd.read_csv(build_board(rows), dtype=str)
    n_bg = rows - rows // 100
    bg = board.iloc[:n_bg].reset_index(drop=True)
    long = [t for t in board["description"].dropna().drop_duplicates() if len(t.split()) >= 30]
    desc = [
        t if isinstance(t, str) and len(t.split()) >= 30 else long[int(rng.integers(len(long)))]
        for t in bg["description"].tolist()
    ]
    bg["description"] = _shuffled(desc, rng)
    bg["requirements"] = _shuffled(bg["requirements"].fillna("").tolist(), rng)
    own = rng.random(n_bg) < 0.5
    hot = rng.random(n_bg) < 0.05
    bg["contacts"] = [
        ";".join(
            [FOOTER] + ([f"phone:+6281{i:09d}"] if own[i] else []) + ([HOTLINE] if hot[i] else [])
        )
        for i in range(n_bg)
    ]
    truth = [-1] * n_bg
    planted: list[dict[str, object]] = []
    sizes: list[int] = []
    while sum(sizes) < rows - n_bg:
        sizes.append(int(min(rng.integers(4, 31), rows - n_bg - sum(sizes))))
    if sizes and sizes[-1] < 2:
        sizes.pop()
    templates = _templates(board, len(sizes), rng)
    filler = long
    for net, (size, template) in enumerate(zip(sizes, templates, strict=False)):
        words = template.split()
        wa = f"whatsapp:+62899{net:07d}"
        for m in range(size):
            use_contact = m == 0 or rng.random() < 0.6
            use_template = m == 0 or not use_contact or rng.random() < 0.5
            if use_template:
                w = list(words)
                w[int(rng.integers(0, len(w)))] = "changed"  # a repost with a small edit
                text = " ".join(w)
            else:
                text = _shuffled([filler[int(rng.integers(0, len(filler)))]], rng)[0]
            phone = wa if use_contact else f"phone:+6287{net:05d}{m:04d}"
            planted.append(
                {
                    "title": f"Admin job {net}-{m}",
                    "company_profile": f"Front company {net}-{m}",
                    "location": "KH, Phnom Penh",
                    "description": text,
                    "requirements": "",
                    "contacts": f"{FOOTER};{phone}",
                }
            )
            truth.append(net)
    frame = pd.concat([bg, pd.DataFrame(planted)], ignore_index=True)
    truth_arr = np.asarray(truth)
    order = rng.permutation(len(frame))  # interleave, so nothing depends on row order
    frame = frame.iloc[order].reset_index(drop=True)
    truth_arr = truth_arr[order]
    is_net = truth_arr >= 0
    frame["scam_probability"] = np.where(is_net, 0.8, rng.beta(1, 20, len(frame)))
    frame["risk"] = np.where(is_net, "high", "low")
    frame["categories"] = np.where(is_net, "fees;destination", "")
    frame["line"] = np.arange(2, len(frame) + 2)
    folder.mkdir(parents=True, exist_ok=True)
    for k, start in enumerate(range(0, len(frame), PART_ROWS)):
        frame.iloc[start : start + PART_ROWS].to_parquet(folder / f"part.{k}.parquet", index=False)
    np.save(truth_path, truth_arr)
    return folder, truth_path


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part.*.parquet"), key=lambda p: int(p.stem.split(".")[1]))


def pair_scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise precision and recall of clusters (-1 = no cluster), without listing pairs.

    ``planted_pair_precision`` counts the pairs of clusters holding a planted ad;
    ``pair_precision_all_clusters`` also counts clusters of background ads only (real
    duplicates in the board, or false links among legitimate ads).
    """

    def pairs(counts: np.ndarray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    both = (pred >= 0) & (truth >= 0)
    cells = pd.DataFrame({"p": pred[both], "t": truth[both]}).value_counts().to_numpy()
    tp = pairs(cells)
    sizes = np.bincount(pred[pred >= 0])
    planted = np.unique(pred[both])
    t = pairs(np.bincount(truth[truth >= 0]))
    return {
        "planted_pair_precision": round(tp / max(pairs(sizes[planted]), 1), 4),
        "planted_pair_recall": round(tp / max(t, 1), 4),
        "pair_precision_all_clusters": round(tp / max(pairs(sizes), 1), 4),
        "background_only_clusters": int(len(sizes) - len(planted)),
    }


def run_engine(engine: str, folder: Path, workers: int) -> dict:
    """Cluster the board (in this process); return labels path and timings."""
    import pyarrow.parquet as pq

    from detector.network import ClusterCollector, cluster_dask

    parts = _parts(folder)
    t0 = time.perf_counter()
    if engine == "local":
        col = ClusterCollector()
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches(batch_size=1000):
                col.add(batch.to_pandas())  # as jobscam scan --clusters feeds it
        labels, table = col.result()
        hubs = col.hubs
        seconds = time.perf_counter() - t0
        startup = 0.0
    else:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cl,
            Client(cl),
        ):
            startup = time.perf_counter() - t0
            t1 = time.perf_counter()
            ddf = dd.read_parquet([str(p) for p in parts])
            assign, table = cluster_dask(ddf)
            seconds = time.perf_counter() - t1
        n = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
        labels = np.full(n, -1, dtype=np.int64)
        labels[assign["row"].to_numpy()] = assign["cluster_id"].to_numpy()
        hubs = table.attrs["hubs"]
    out = OUT / f"network_labels_{engine}.npy"
    np.save(out, labels)
    return {
        "seconds": seconds,
        "startup_seconds": startup,
        "clusters": len(table),
        "largest_cluster": int(table["size"].max()) if len(table) else 0,
        "hubs": hubs,
        "labels": str(out),
    }


def measure(engine: str, folder: Path, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--child", engine, "--board", str(folder)]
    cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    parent = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_full_info().pss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.5)  # PSS reads /proc/PID/smaps: sampling costs CPU too
    wall = time.perf_counter() - t0
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed (exit {proc.returncode})")
    r = json.loads(out.strip().splitlines()[-1])
    r["process_wall_seconds"] = wall
    r["peak_pss"] = peak
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--engine", choices=["local", "dask", "both"], default="both")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes (cores)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--board", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.child, Path(args.board), args.workers)))
        return
    t0 = time.perf_counter()
    folder, truth_path = build_network_board(args.rows)
    truth = np.load(truth_path)
    print(f"board: {len(truth):,} rows ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    engines = ["local", "dask"] if args.engine == "both" else [args.engine]
    report: dict[str, object] = {
        "rows": len(truth),
        "planted_networks": int(truth.max()) + 1,
        "planted_rows": int((truth >= 0).sum()),
        "cpus": os.cpu_count(),
    }
    for engine in engines:
        r = measure(engine, folder, args.workers)
        labels = np.load(r["labels"])
        report[engine] = {
            "workers": args.workers if engine == "dask" else 1,
            "clustering_seconds": round(r["seconds"], 1),
            "rows_per_second": round(len(truth) / r["seconds"], 1),
            "process_wall_seconds": round(r["process_wall_seconds"], 1),
            "cluster_startup_seconds": round(r["startup_seconds"], 1),
            "peak_pss_mb_process_tree": round(r["peak_pss"] / 2**20, 1),
            "clusters": r["clusters"],
            "largest_cluster": r["largest_cluster"],
            "hubs": r["hubs"],
            **pair_scores(labels, truth),
        }
        print(json.dumps({engine: report[engine]}), file=sys.stderr)
    if len(engines) == 2:
        a, b = (np.load(OUT / f"network_labels_{e}.npy") for e in engines)
        report["engines_agree"] = bool((a == b).all())
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
