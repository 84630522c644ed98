"""``jobscam score`` (one ad) and ``jobscam scan`` (a board, locally or on Dask)."""

from __future__ import annotations

import json
import os
import sys

import click

from ...schema import RISK_ORDER
from .base import (
    EXIT_FLAGGED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    RISK_CHOICE,
    debug_option,
    fail,
    fail_on_option,
    internal,
    later_sigints_ignored,
    main,
)


def _read_ad(text: str | None) -> str:
    if text is None or text == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            fail("standard input is not UTF-8 text")
    return text


@main.command()
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder.")
@fail_on_option("the ad")
@debug_option
def score(text: str | None, as_json: bool, model_dir: str | None, fail_on: str) -> None:
    """Score one ad: TEXT, or '-' (or nothing) to read it from standard input.

    \b
    Examples:
      jobscam score "Dicari admin di Kamboja, gaji 15jt, hub WA 0812..."
      pbpaste | jobscam score --json -
    """
    from ...core import Detector
    from ...model.persistence import ModelError
    from ...schema import AdError
    from ..report import format_verdict

    ad = _read_ad(text)
    try:
        det = Detector.load(model_dir)
        v = det.score(ad)
    except (AdError, ModelError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(v.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_verdict(v))
    sys.exit(EXIT_FLAGGED if RISK_ORDER[v.risk] >= RISK_ORDER[fail_on] else EXIT_OK)


@main.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", help="Output file (format from its name; '-' = stdout).")
@click.option("--format", "input_format", help="Input format: csv, jsonl, parquet (for '-').")
@click.option("--output-format", help="Output format when the name does not tell.")
@click.option("--text-column", help="Score this one column as the ad text.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Map a column.")
@click.option("--min-risk", type=RISK_CHOICE, help="Rows to write.")
@click.option("--sort", is_flag=True, help="Sort the output by probability, highest first.")
@fail_on_option("any row")
@click.option("--resume", is_flag=True, help="Continue an interrupted scan into OUTPUT.")
@click.option("--workers", type=int, help="Scoring processes [CPU count].")
@click.option("--chunk-size", default=1000, show_default=True, help="Rows per chunk.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", help="Dask scheduler address (with --engine dask).")
@click.option("--clusters", "clusters_out", help="Also write the ad networks table here.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (stderr).")
@click.option(
    "--summary-json",
    "summary_json",
    type=click.Path(dir_okay=False),
    help="Also write the summary, with every error row's lines, to this JSON file.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder.")
@debug_option
def scan(
    input_path: str,
    output: str | None,
    input_format: str | None,
    output_format: str | None,
    text_column: str | None,
    maps: tuple[str, ...],
    min_risk: str | None,
    sort: bool,
    fail_on: str,
    resume: bool,
    workers: int | None,
    chunk_size: int,
    engine: str,
    scheduler: str | None,
    clusters_out: str | None,
    as_json: bool,
    summary_json: str | None,
    quiet: bool,
    model_dir: str | None,
) -> None:
    """Score every ad in a CSV, TSV, JSONL or Parquet file, directory or glob (see docs/scan.md).

    \b
    Examples:
      jobscam scan board.csv -o scored.parquet --min-risk medium --sort
      cat ads.jsonl | jobscam scan - --format jsonl -o - > scored.csv
      jobscam scan parts/ --engine dask --scheduler tcp://10.0.0.5:8786 -o scored/
      jobscam scan parts/ --engine dask -o scored/ --clusters networks.csv

    \b
    Exit codes: 0 no row at or above --fail-on, 1 some row is, 2 usage or input error,
    3 internal failure, 130 interrupted; after 3 or 130 the output is partial and keeps
    OUTPUT.scan-progress.json (run again with --resume).
    """
    from ...batch import ScanError, ScanFailed, ScanSummary, progress_path, scan_dask
    from ...batch import scan as do_scan
    from ...model.persistence import ModelError

    with later_sigints_ignored():

        def write_summary(summary: ScanSummary | None) -> None:
            if summary_json and summary is not None:
                with open(summary_json, "w", encoding="utf-8") as fh:
                    json.dump(summary.to_dict(error_rows=True), fh, ensure_ascii=False, indent=1)

        def partial_note() -> str:
            if output and output != "-" and os.path.exists(progress_path(output)):
                return f"; {output} is partial, see {progress_path(output)} (--resume)"
            return ""

        column_map = {}
        for m in maps:
            fld, sep, col = m.partition("=")
            if not sep:
                fail(f"--map takes FIELD=COLUMN, got {m!r}")
            column_map[fld.strip()] = col.strip()
        try:
            if engine == "dask":
                if not output:
                    fail("--engine dask needs -o OUTPUT_DIR")
                summary = scan_dask(
                    input_path,
                    output,
                    input_format=input_format,
                    text_column=text_column,
                    column_map=column_map,
                    scheduler=scheduler,
                    model_dir=model_dir,
                    clusters_out=clusters_out,
                )
            else:
                summary = do_scan(
                    input_path,
                    output,
                    input_format=input_format,
                    output_format=output_format,
                    text_column=text_column,
                    column_map=column_map,
                    min_risk=min_risk,
                    sort=sort,
                    chunk_size=chunk_size,
                    workers=workers,
                    resume=resume,
                    progress=not quiet and sys.stderr.isatty(),
                    model_dir=model_dir,
                    clusters_out=clusters_out,
                )
            if summary.clusters is not None:
                click.echo(
                    f"clusters: {summary.clusters:,} networks written to {clusters_out}", err=True
                )
        except (ScanError, ModelError) as exc:
            write_summary(getattr(exc, "summary", None))
            fail(str(exc) + partial_note())
        except ScanFailed as exc:
            write_summary(exc.summary)
            internal(exc.__cause__ or exc, partial_note())
        except Exception as exc:  # e.g. while clustering, after the scan
            internal(exc, partial_note())
        write_summary(summary)
        click.echo(
            json.dumps(summary.to_dict(), ensure_ascii=False) if as_json else summary.format(),
            err=True,
        )
        if summary.interrupted:
            sys.exit(EXIT_INTERRUPTED)
        worst = summary.max_risk()
        sys.exit(EXIT_FLAGGED if worst and RISK_ORDER[worst] >= RISK_ORDER[fail_on] else EXIT_OK)
