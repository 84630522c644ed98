"""Benchmark of the Python API: model load time, single-ad latency, batch throughput.

Ads are the labelled data's own (typical length about 2.6 KB), read at run time from
../shared/data (never copied into the repo). Run: ``python benchmarks/bench_core.py``.

Goals (issue 14): load <= 0.3 s, one ad <= 5 ms p50 after load, >= 3,000 ads/s in batch on
2 cores. For scale it also times a bare word-unigram TfidfVectorizer.transform on the same ads
(the floor), in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--single", type=int, default=300, help="ads timed one by one")
    ap.add_argument("--batch", type=int, default=4000, help="ads in the batch test")
    ap.add_argument(
        "--stages", action="store_true", help="also print where a batch's time goes, per stage"
    )
    args = ap.parse_args()

    from sklearn.feature_extraction.text import TfidfVectorizer

    from detector import Detector
    from detector.model.dataset import load_labelled
    from detector.model.frames import frame_texts

    t0 = time.perf_counter()
    det = Detector.load()
    load_s = time.perf_counter() - t0

    texts = frame_texts(load_labelled())
    rng = np.random.default_rng(0)
    pick = [texts[i] for i in rng.integers(0, len(texts), max(args.single, args.batch))]
    mean_len = statistics.mean(len(t) for t in pick)

    det.score(pick[0])  # warm caches (feature names, registry)
    lat = []
    for t in pick[: args.single]:
        s = time.perf_counter()
        det.score(t)
        lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    p50 = lat[len(lat) // 2]
    p95 = lat[int(len(lat) * 0.95)]

    batch = pick[: args.batch]
    s = time.perf_counter()
    det.score_many(batch)
    batch_s = time.perf_counter() - s

    vec = TfidfVectorizer().fit(texts)
    s = time.perf_counter()
    vec.transform(batch)
    tfidf_s = time.perf_counter() - s
    one = []
    for t in pick[: args.single]:
        s = time.perf_counter()
        vec.transform([t])
        one.append((time.perf_counter() - s) * 1000)
    tfidf_one = sorted(one)[len(one) // 2]

    print(f"cores available            {os.cpu_count()}")
    print(f"mean ad length             {mean_len:,.0f} chars")
    print(f"model load                 {load_s:.2f} s      (goal <= 0.3 s)")
    print(f"single ad, score()         p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal p50 <= 5 ms)")
    print(
        f"batch, score_many()        {len(batch) / batch_s:,.0f} ads/s on one process "
        f"({batch_s:.2f} s for {len(batch)})"
    )
    print(f"bare word TF-IDF transform {len(batch) / tfidf_s:,.0f} ads/s (the floor)")
    print(f"bare TF-IDF, one ad        {tfidf_one:.2f} ms per ad (the floor for one ad)")
    print(f"ratio batch/TF-IDF time    {batch_s / tfidf_s:.1f}")
    if args.stages:
        print_stages(det, batch)


def print_stages(det, texts: list[str]) -> None:
    """CPU time per ad of each stage of ``score_many`` (paste mode), each run on its own."""
    from detector.model.features import indicator_vector
    from detector.schema import Ad
    from detector.text.extract import (
        detect_language,
        extract_amounts,
        extract_contacts,
        extract_destinations,
    )
    from detector.text.normalize import normalize

    reg, m = det.registry, det.model
    n = len(texts)
    out: list[tuple[str, float]] = []

    def timed(name, f):
        c = time.process_time()
        result = f()
        out.append((name, (time.process_time() - c) * 1000 / n))
        return result

    total = timed("score_many (all)", lambda: det.score_many(texts))
    timed("  Ad.from_input", lambda: [Ad.from_input(t) for t in texts])
    norms = timed("  normalise", lambda: [normalize(t) for t in texts])
    timed("  language id", lambda: [detect_language(x) for x in norms])
    timed("  extract contacts", lambda: [extract_contacts(x) for x in norms])
    timed("  extract amounts", lambda: [extract_amounts(x) for x in norms])
    timed("  extract destinations", lambda: [extract_destinations(x) for x in norms])
    analyses = timed("  red-flag layer (all)", lambda: [reg.analyze(t) for t in texts])
    ind = timed(
        "  indicator features",
        lambda: np.vstack([indicator_vector(a, reg.categories) for a in analyses]),
    )
    X = timed("  vectorize (3 blocks)", lambda: m.lexical_matrices("paste", texts))
    langs = [a.language for a in analyses]
    x = timed("  experts", lambda: m.inputs("paste", *X, ind, langs))
    timed("  decision", lambda: m.decide("paste", x))
    assert len(total) == n
    print("stage (CPU ms per ad; the red-flag layer includes normalise, language id, extract)")
    for name, ms in out:
        print(f"  {name:28s} {ms:6.3f}")


if __name__ == "__main__":
    main()
