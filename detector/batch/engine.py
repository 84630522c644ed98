"""The local engine: ``scan()`` reads chunks, scores them in a process pool (the model loaded
once per worker), writes rows as they finish, and stops cleanly on Ctrl-C.

Long because ``scan()`` is one state machine (read, score, write, resume, interrupt, fail)
whose steps share its state; the pieces without state live in the sibling modules.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import IO, Any

import numpy as np
import pandas as pd

from ..columns import COLUMN_ALIASES, ScanError, map_columns
from ..network.graph import ClusterCollector
from ..schema import META_FIELDS, RISK_ORDER, RISKS
from .chunks import Chunk, one_line
from .clusters import cluster_output
from .readers import check_readable, detect_format, expand_inputs, read_chunks
from .results import (
    DETECTORS,
    canonical,
    canonical_per_record,
    combine_results,
    get_detector,
    init_worker,
    score_canonical,
    score_job,
)
from .resume import fingerprint, progress_path, save_progress
from .summary import ScanSummary
from .writers import Writer, read_output, sort_output


class ScanFailed(RuntimeError):
    """An unexpected failure during a scan (exit 3); ``summary`` says how far it got and
    the partial output keeps its progress file."""

    def __init__(self, summary: ScanSummary, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {one_line(cause)}")
        self.summary = summary


#: Test hook (fault injection): ``JOBSCAM_SCAN_INTERRUPT_AFTER=N`` sends this process SIGINT
#: after N chunks are written (0: before the first is read), ``JOBSCAM_SCAN_INTERRUPT_TWICE=1``
#: sends a second one as the interrupted scan cleans up: a real Ctrl-C, at a chosen point.
INTERRUPT_AFTER_ENV = "JOBSCAM_SCAN_INTERRUPT_AFTER"
INTERRUPT_TWICE_ENV = "JOBSCAM_SCAN_INTERRUPT_TWICE"


#: SIGINTs a scan in this process has received; the CLI ignores any that come after the
#: first (the scan is already stopping, or has stopped and is reporting).
SIGINTS_SEEN = [0]


def _sigint_self() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0)  # the handler runs at the next bytecode boundary


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: an interrupted scan discards their chunks, and a worker blocked
    on its result queue would keep the executor (and the exit) waiting for ever."""
    procs = list(getattr(pool, "_processes", {}).values())
    # The queue's feeder thread may be blocked writing a chunk into the pipe of a worker
    # about to be terminated; joining it at exit would wait for ever.
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:
        call_queue.cancel_join_thread()
    manager = getattr(pool, "_executor_manager_thread", None)
    for p in procs:
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
    # The executor's manager thread may be blocked putting a task into the full call queue
    # that no worker will ever read; the interpreter joins that thread at exit. Free the
    # queue's slots so the put completes, the thread sees the workers gone, and ends.
    sem = getattr(call_queue, "_sem", None)
    for _ in range(64):
        try:
            sem.release()  # type: ignore[union-attr]
        except (ValueError, AttributeError):  # bounded: all slots free (or no queue)
            break
    # Let it end now, not race the interpreter's exit hook for the wake-up pipe.
    if manager is not None:
        manager.join(5)


def scan(
    inputs: str | Sequence[str],
    output: str | None = None,
    *,
    input_format: str | None = None,
    output_format: str | None = None,
    text_column: str | None = None,
    column_map: Mapping[str, str] | None = None,
    min_risk: str | None = None,
    sort: bool = False,
    chunk_size: int = 1000,
    workers: int | None = None,
    resume: bool = False,
    progress: bool = False,
    model_dir: str | None = None,
    detector: Any = None,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
    clusters_out: str | None = None,
    on_chunk: Callable[[pd.DataFrame], None] | None = None,
) -> ScanSummary:
    """Score every row of ``inputs`` and write them (plus result columns) to ``output``.

    Parameters
    ----------
    inputs
        A file, directory, glob, ``"-"`` (standard input), or a list of files.
    output
        Output file (format from its name or ``output_format``), ``"-"`` for standard
        output, or ``None`` to only count (the summary).
    min_risk
        Write only rows at or above this risk (and every error row); the summary counts all.
    sort
        Sort the output by probability, highest first (re-reads the finished output: memory
        grows with the rows written, so pair it with ``min_risk`` on big boards).
    workers
        Processes scoring chunks (default: CPU count, at most 2 when the input is small).
    resume
        Continue an interrupted scan of the same, unchanged input into the same output.
    detector
        A loaded ``Detector`` to use in-process (``workers`` is then 1 unless set).
    clusters_out
        Also find the networks of linked ads: write their table here and give every output
        row ``cluster_id``, ``network_risk`` and ``network_note``
        (:func:`~detector.batch.clusters.cluster_output`). The keys are collected as chunks
        are written, so nothing is read twice; a resumed scan clusters the rows in its
        output (with ``min_risk``, the rows filtered out in the earlier run are not there).
    on_chunk
        Called with each finished chunk's rows (all of them, before ``min_risk``).

    Raises
    ------
    ScanError
        For usage and input problems (unknown format, no scorable column, an unreadable
        file, nothing to resume, an input changed since the interrupted scan).
    ScanFailed
        For anything unexpected; the partial output keeps its progress file.
    """
    t0 = time.perf_counter()
    files = list(inputs) if isinstance(inputs, (list, tuple)) else expand_inputs(str(inputs))
    if input_format is None and "-" in files:
        raise ScanError("reading standard input needs --format csv|tsv|jsonl|parquet")
    for f in files:
        check_readable(f, detect_format(f, input_format))
    out_fmt = None
    if output is not None:
        default = "csv" if output == "-" else None
        out_fmt = detect_format(output, output_format or default)
        if output == "-" and out_fmt == "parquet":
            raise ScanError("Parquet cannot be streamed to standard output; name a file")
    if min_risk is not None and min_risk not in RISK_ORDER:
        raise ScanError(f"--min-risk must be one of {', '.join(RISKS)}")
    if resume and (output is None or output == "-"):
        raise ScanError("--resume needs an output file")
    if resume and "-" in files:
        raise ScanError("--resume cannot check that standard input is the same; name a file")
    if sort and output == "-":
        raise ScanError("--sort needs an output file")
    for fld, col in (column_map or {}).items():
        if fld not in COLUMN_ALIASES and fld not in META_FIELDS:
            raise ScanError(
                f"--map {fld}={col}: unknown field {fld!r}; fields: "
                + ", ".join([*COLUMN_ALIASES, *META_FIELDS])
            )

    multi = len(files) > 1
    in_fmts = {detect_format(f, input_format) for f in files}
    number_column = "row" if in_fmts == {"parquet"} else "line"
    jsonl_in = "jsonl" in in_fmts
    prints = [fingerprint(f) if f != "-" else {"path": "-"} for f in files]

    summary = ScanSummary(output=output, number_column=number_column)
    skip = 0
    keep: dict[str, Any] | None = None
    prog_file = progress_path(output) if output and output != "-" else None
    if resume:
        assert prog_file is not None
        if not os.path.exists(prog_file):
            raise ScanError(f"nothing to resume: {prog_file} does not exist")
        with open(prog_file, encoding="utf-8") as fh:
            state = json.load(fh)
        if state.get("inputs") != files:
            raise ScanError("--resume: the input differs from the interrupted scan's")
        before = state.get("fingerprints")
        if before is not None and before != prints:
            changed = [a["path"] for a, b in zip(before, prints, strict=False) if a != b]
            raise ScanError(
                f"--resume: {', '.join(changed) or 'the input'} changed since the interrupted "
                "scan (size, time or content): scan again without --resume"
            )
        skip = int(state["records_done"])
        keep = state["writer"]
        summary = ScanSummary._from_state(state["summary"])
        summary.output = output
        summary.number_column = number_column

    collector = (
        ClusterCollector(text_column=text_column, column_map=column_map) if clusters_out else None
    )
    hooks = [h for h in (on_chunk, collector.add if collector is not None else None) if h]

    det = detector
    if det is None and model_dir not in DETECTORS:
        get_detector(model_dir)  # fail fast (ModelError) and let forked workers inherit it
    n_workers = (
        workers if workers is not None else (1 if detector is not None else os.cpu_count() or 1)
    )
    interrupt_after = os.environ.get(INTERRUPT_AFTER_ENV)
    stop_at = int(interrupt_after) if interrupt_after not in (None, "") else None
    twice = os.environ.get(INTERRUPT_TWICE_ENV) == "1"

    chunks = read_chunks(files, input_format, chunk_size, stdin=stdin)
    mapping: dict[str, str] | None = None
    record_maps: dict[tuple[str, ...], dict[str, str] | str] = {}
    writer = Writer(output, out_fmt, keep=keep, stdout=stdout) if output and out_fmt else None
    pool: ProcessPoolExecutor | None = None
    bar = None
    last_save = time.monotonic()
    done_records = skip
    written_chunks = 0
    base_seconds = summary.seconds
    pending: deque[tuple[Chunk, np.ndarray, Future[pd.DataFrame] | pd.DataFrame | None]] = deque()
    failure: BaseException | None = None

    def finish_one() -> None:
        nonlocal done_records, last_save, written_chunks
        chunk, ok_rows, job = pending.popleft()
        scored = job.result() if isinstance(job, Future) else job
        rows = combine_results(chunk, ok_rows, scored, number_column)
        if multi:
            rows["source_file"] = chunk.source
        if jsonl_in and writer is not None and writer.fmt != "jsonl" and "extra_fields" not in rows:
            rows["extra_fields"] = None
        for hook in hooks:
            hook(rows)
        kept = rows
        if min_risk is not None:
            r = rows["risk"].map(lambda x: RISK_ORDER.get(x, -1))
            kept = rows[(r >= RISK_ORDER[min_risk]) | rows["error"].notna()]
        stopping["critical"] = True
        try:
            if writer is not None:
                writer.write(kept)
            summary.add(rows, len(kept), chunk)
            done_records += len(rows)
            written_chunks += 1
            summary.last_position = f"{chunk.source}, {number_column} {chunk.numbers[-1]}"
            # Parquet rows reach the file only when it is closed: a progress file written
            # now would promise rows a hard kill loses. It is written when the scan stops.
            if prog_file and out_fmt != "parquet" and time.monotonic() - last_save > 2.0:
                save()
                last_save = time.monotonic()
        finally:
            stopping["critical"] = False
        if stopping["held"]:
            stopping["yes"] = True
            raise KeyboardInterrupt
        if bar is not None:
            bar.update(len(rows))
        if stop_at is not None and written_chunks == stop_at:
            _sigint_self()

    def save(complete: bool = False) -> None:
        if not prog_file or writer is None:
            return
        summary.seconds = base_seconds + time.perf_counter() - t0
        save_progress(
            prog_file,
            {
                "inputs": files,
                "fingerprints": prints,
                "records_done": done_records,
                "writer": writer.checkpoint(),
                "summary": summary._state(),
                "complete": complete,
            },
        )

    # Ctrl-C: the first stops the scan (KeyboardInterrupt), any later one is ignored while
    # the scan stops its workers and closes a resumable output, which takes a moment.
    # A Ctrl-C inside a chunk's write-and-count is held until the chunk is counted: a row
    # written but not counted would come out twice on --resume.
    main = threading.current_thread() is threading.main_thread()
    stopping = {"yes": False, "critical": False, "held": False}

    def on_sigint(signum: int, frame: Any) -> None:
        SIGINTS_SEEN[0] += 1
        if stopping["yes"]:
            return
        if stopping["critical"]:
            stopping["held"] = True
            return
        stopping["yes"] = True
        raise KeyboardInterrupt

    old_handler = signal.signal(signal.SIGINT, on_sigint) if main else None
    try:
        if not resume:
            save()  # from the first moment, a progress file marks the output as partial
        if stop_at == 0:
            _sigint_self()
        if progress:
            from tqdm import tqdm

            bar = tqdm(unit=" rows", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        seen = 0
        for chunk in chunks:
            # Resume: skip the rows already written (they are read again, not scored).
            if seen + len(chunk.frame) <= skip:
                seen += len(chunk.frame)
                continue
            if seen < skip:
                chunk = chunk.cut(skip - seen)
            seen += len(chunk.frame)
            if chunk.keys is not None:
                readable = sum(e is None for e in chunk.errors)
                ok_rows, canon, errs = canonical_per_record(
                    chunk, text_column, column_map, record_maps
                )
                if mapping is None and len(ok_rows):
                    mapping = {}  # mapped per record from here on
                elif mapping is None and readable:
                    # Not one readable record of the first chunk has a column to score: the
                    # columns need naming (--text-column, --map), as for CSV and Parquet.
                    raise ScanError(next(e for e in errs if e is not None))
                chunk.errors = errs
            else:
                if mapping is None:
                    mapping = map_columns(list(chunk.frame.columns), text_column, column_map)
                ok_rows = np.array([i for i, e in enumerate(chunk.errors) if e is None], dtype=int)
                canon = canonical(chunk.frame.iloc[ok_rows], mapping) if len(ok_rows) else None
            if pool is None and n_workers > 1 and detector is None:
                # Forked workers share the loaded model's pages until written to; the
                # cyclic GC writes to every object it visits. Frozen objects are skipped.
                gc.freeze()
                pool = ProcessPoolExecutor(
                    max_workers=n_workers, initializer=init_worker, initargs=(model_dir,)
                )
            if canon is None:
                pending.append((chunk, ok_rows, None))
            elif pool is not None:
                pending.append((chunk, ok_rows, pool.submit(score_job, model_dir, canon)))
            else:
                d = det if det is not None else get_detector(model_dir)
                pending.append((chunk, ok_rows, score_canonical(d, canon)))
            while len(pending) > 2 * max(n_workers, 1) or (pool is None and pending):
                finish_one()
        while pending:
            finish_one()
    except KeyboardInterrupt:
        summary.interrupted = True
        summary.status = "interrupted"
    except BaseException as exc:
        summary.status = "failed"
        failure = exc
    finally:
        stopping["yes"] = True  # a Ctrl-C now must not break the clean-up
        try:
            if twice and summary.interrupted:
                _sigint_self()
            pending.clear()
            if pool is not None:
                if summary.status == "complete":
                    pool.shutdown(wait=True)
                else:
                    _stop_pool(pool)
            if bar is not None:
                bar.close()
            if writer is not None:
                if summary.status == "failed" and done_records == 0 and not resume:
                    writer.discard()  # nothing to keep: no output, no progress file
                    if prog_file and os.path.exists(prog_file):
                        os.remove(prog_file)
                else:
                    if summary.status != "complete":
                        save()
                    writer.close()
                    if summary.status != "complete" and writer.fmt == "parquet":
                        save()  # the row groups the closed file now really holds
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
    summary.seconds = base_seconds + time.perf_counter() - t0
    if failure is not None:
        if isinstance(failure, ScanError):
            failure.summary = summary  # type: ignore[attr-defined]
            raise failure
        if not isinstance(failure, Exception):
            raise failure  # SystemExit and the like
        raise ScanFailed(summary, failure) from failure
    if summary.interrupted:
        return summary
    if prog_file and os.path.exists(prog_file):
        os.remove(prog_file)
    if sort and output:
        sort_output(output, out_fmt or "csv")
    if clusters_out and collector is not None:
        if skip and output and out_fmt:  # resumed: the earlier rows came from another run
            collector = ClusterCollector(text_column=text_column, column_map=column_map)
            for part in read_output(output, out_fmt, rows=50_000):
                collector.add(part)
        summary.clusters = cluster_output(output, clusters_out, collector=collector)
    return summary
