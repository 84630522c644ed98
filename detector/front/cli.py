"""The ``jobscam`` command: thin wrappers that parse, call the package, and print.

Exit codes are a contract: 0 ok / nothing flagged at or above --fail-on, 1 something flagged,
2 usage or input error (including a file that cannot be read at all), 3 internal failure
(one line on stderr; the traceback only with --debug), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from ..paths import APP_SCRIPT

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
RISK_ORDER = {"low": 0, "medium": 1, "high": 2}
RISK_CHOICE = click.Choice(list(RISK_ORDER))
F = TypeVar("F", bound=Callable[..., Any])


def fail_on_option(what: str) -> Callable[[F], F]:
    """The shared ``--fail-on`` option: exit 1 when WHAT is at least this risky."""
    return click.option(
        "--fail-on",
        type=RISK_CHOICE,
        default="high",
        show_default=True,
        help=f"Exit 1 when {what} is at least this risky.",
    )


def _fail(message: str) -> None:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(EXIT_USAGE)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


#: Set by ``--debug`` (on the group or a command) or ``JOBSCAM_DEBUG=1``: show tracebacks.
_DEBUG = {"on": os.environ.get("JOBSCAM_DEBUG") == "1"}


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        _DEBUG["on"] = True
    return value


def debug_option(f: F) -> F:
    """``--debug``: print the traceback of an internal failure (exit 3 either way)."""
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Print the traceback of an internal failure.",
    )(f)


def _internal(exc: BaseException, note: str = "") -> None:
    """Exit 3 with one line (and the traceback under --debug)."""
    if _DEBUG["on"]:
        traceback.print_exception(exc, file=sys.stderr)
    msg = f"{type(exc).__name__}: {_one_line(exc)}" if not isinstance(exc, str) else exc
    click.echo(f"error: internal failure: {msg}{note} (--debug shows the traceback)", err=True)
    sys.exit(EXIT_INTERNAL)


@contextlib.contextmanager
def _later_sigints_ignored() -> Iterator[None]:
    """Once a scan has taken its Ctrl-C, further ones are ignored while it closes the output
    and reports, so the process exits 130 with a resumable partial (not killed, -2). The
    previous handler comes back unless the scan was interrupted (the process then exits)."""
    import signal
    import threading

    from ..scan import SIGINTS_SEEN

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    seen_before = SIGINTS_SEEN[0]

    def on_sigint(signum: int, frame: object) -> None:
        if SIGINTS_SEEN[0] == seen_before:
            raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        if SIGINTS_SEEN[0] == seen_before:
            signal.signal(signal.SIGINT, old)
        else:
            # The process is about to exit 130. SIG_IGN, not a Python handler: the
            # interpreter puts Python handlers back to the default while it shuts down,
            # and a Ctrl-C then killed it (-2) after the summary was printed.
            signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Group(click.Group):
    """Turns any unexpected exception into exit 3 with a one-line message."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        _DEBUG["on"] = os.environ.get("JOBSCAM_DEBUG") == "1"  # per run, not per process
        return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            _internal(exc)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jobscam")
@debug_option
def main() -> None:
    """jobscam: detect job-offer scams and trafficking-recruitment patterns in job ads.

    \b
    Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 usage or input error,
    3 internal failure (--debug for the traceback), 130 interrupted.

    \b
    Examples:
      jobscam score "Customer service in Cambodia, USD 1,200, WhatsApp only"
      jobscam train && jobscam evaluate
    """


_DATA_HELP = "EMSCAD-layout labelled CSV [$JOBSCAM_DATA or ../shared/data/emscad/]."
_REAL_HELP = "Real labelled ads, JSON lines [$JOBSCAM_REAL_DATA or ../shared/data/realads/]."


@main.command()
@click.option("--data", type=click.Path(dir_okay=False), help=_DATA_HELP)
@click.option("--real", type=click.Path(dir_okay=False), help=_REAL_HELP)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Model folder [models/].")
def train(data: str | None, real: str | None, out_dir: str | None) -> None:
    """Train the model on both labelled corpora and save it with its manifest.

    \b
    Example:
      jobscam train --data ~/emscad/fake_job_postings.csv --real ~/realads.jsonl
    """
    from ..model.dataset import DataError
    from ..training.train import train as do_train

    try:
        m = do_train(data, out_dir, real=real)
    except DataError as exc:
        _fail(str(exc))
    e, r = m["training_data"]["emscad"], m["training_data"]["real"]
    click.echo(
        f"trained on {e['rows']} EMSCAD ads ({e['scam_rows']} scams) and {r['rows']} real ads "
        f"in {m['train_seconds']} s; model {m['size_bytes'] / 1e6:.1f} MB, sha256 {m['sha256'][:12]}…"
    )


@main.command()
@click.option("--data", type=click.Path(dir_okay=False), help=_DATA_HELP)
@click.option("--real", type=click.Path(dir_okay=False), help=_REAL_HELP)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Model folder [models/].")
@click.option("--folds", default=5, show_default=True, help="Grouped cross-validation folds.")
@click.option(
    "--ablate/--no-ablate",
    default=True,
    show_default=True,
    help="Also measure the decision without each of its inputs (the card's ablation table).",
)
def evaluate(
    data: str | None, real: str | None, out_dir: str | None, folds: int, ablate: bool
) -> None:
    """Evaluate under grouped cross-validation and leave-one-source-out; write metrics,
    plots and MODEL_CARD.md.

    \b
    Example:
      jobscam evaluate --folds 5
    """
    from ..model.dataset import DataError
    from ..training.evaluate import evaluate as do_evaluate

    try:
        report = do_evaluate(data, out_dir, n_splits=folds, real=real, ablate=ablate)
    except DataError as exc:
        _fail(str(exc))
    for mode, m in report["emscad"].items():
        click.echo(
            f"EMSCAD {mode:>6}: F1 {m['f1']:.3f}  precision {m['precision']:.3f}  recall "
            f"{m['recall']:.3f}  PR-AUC {m['pr_auc']:.3f}  ROC-AUC {m['roc_auc']:.3f}"
        )
    for lang, m in report["real"].items():
        click.echo(
            f"real ads {lang}: ROC-AUC {m['roc_auc']:.3f}  scams at medium+ "
            f"{m['scam_medium_or_high']:.2f}  legit at medium+ {m['legit_medium_or_high']:.2f}"
            f"  legit at high {m['legit_high']:.2f}"
        )
    click.echo(f"model card: {report['card']}")


def _read_ad(text: str | None) -> str:
    if text is None or text == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            _fail("standard input is not UTF-8 text")
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
    from .. import AdError, Detector, ModelError
    from .report import format_verdict

    ad = _read_ad(text)
    try:
        det = Detector.load(model_dir)
        v = det.score(ad)
    except (AdError, ModelError) as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(v.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_verdict(v))
    sys.exit(EXIT_FLAGGED if RISK_ORDER[v.risk] >= RISK_ORDER[fail_on] else EXIT_OK)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder.")
@click.option(
    "--limit-concurrency",
    default=200,
    show_default=True,
    type=click.IntRange(1),
    help="Connections + requests per worker; over it, 503.",
)
@click.option(
    "--request-timeout",
    default=15.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a client has to send a whole request.",
)
@click.option(
    "--keep-alive-timeout",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds an idle connection stays open.",
)
def serve(
    host: str,
    port: int,
    workers: int,
    model_dir: str | None,
    limit_concurrency: int,
    request_timeout: float,
    keep_alive_timeout: int,
) -> None:
    """Serve the HTTP API (POST /v1/score, /v1/score/batch; GET /v1/health, /v1/model).

    Each worker process loads the model once at start-up. Docs at /docs; see docs/api.md
    (timeouts and limits: a slow or stalled client is disconnected, repeated log lines are
    written once per 10 s).

    \b
    Example:
      jobscam serve --port 8000 --workers 2
      curl -s localhost:8000/v1/score -H 'Content-Type: application/json' \\
           -d '{"text": "Admin di Kamboja, gaji 15jt, hub WA 0812..."}'
    """
    import uvicorn

    from ..model.persistence import ModelError, read_manifest
    from .server import install_log_filters, raise_open_file_limit, uvicorn_settings

    if model_dir is not None:
        os.environ["JOBSCAM_MODEL_DIR"] = model_dir  # worker processes inherit it
    os.environ["JOBSCAM_REQUEST_TIMEOUT"] = str(request_timeout)
    try:
        read_manifest()  # fail fast and clearly; each worker loads and checks the model itself
    except ModelError as exc:
        _fail(str(exc))
    raise_open_file_limit()
    install_log_filters()
    uvicorn.run(
        "detector.front.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **uvicorn_settings(limit_concurrency, keep_alive_timeout),
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(0, 65535))
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Model folder.")
def app(host: str, port: int, model_dir: str | None) -> None:
    """Run the web page (Streamlit): check one ad, scan a file, read the model card.

    Headless (no browser is opened), no usage statistics sent, uploads up to 50 MB, and
    Streamlit's toolbar in viewer mode (no Deploy button or developer menu for readers).

    \b
    Example:
      jobscam app --port 8501    # then open http://127.0.0.1:8501
    """
    import signal
    import subprocess

    page = APP_SCRIPT
    if not page.is_file():
        _fail(f"the page {page} is not there: run from a source checkout of jobscam")
    env = dict(os.environ)
    if model_dir is not None:
        env["JOBSCAM_MODEL_DIR"] = model_dir
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(page),
        "--server.headless", "true",
        "--server.address", host,
        "--server.port", str(port),
        "--server.maxUploadSize", "50",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
    ]  # fmt: skip
    child = subprocess.Popen(cmd, env=env)

    def forward(signum: int, frame: object) -> None:
        # Pass SIGTERM (and SIGHUP) on, so stopping jobscam stops the page server too.
        if child.poll() is None:
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = child.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to both; let Streamlit finish
        try:
            code = child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
        sys.exit(EXIT_OK)
    sys.exit(0 if code in (0, -signal.SIGTERM, -signal.SIGHUP) else code)


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
    from .. import ModelError
    from ..scan import ScanError, ScanFailed, ScanSummary, progress_path, scan_dask
    from ..scan import scan as do_scan

    with _later_sigints_ignored():

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
                _fail(f"--map takes FIELD=COLUMN, got {m!r}")
            column_map[fld.strip()] = col.strip()
        try:
            if engine == "dask":
                if not output:
                    _fail("--engine dask needs -o OUTPUT_DIR")
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
                if clusters_out:
                    click.echo(
                        f"clusters: {summary.clusters:,} networks written to {clusters_out}",
                        err=True,
                    )
            else:
                collect = None
                if clusters_out:
                    from ..network import ClusterCollector

                    collect = ClusterCollector()
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
                    on_chunk=collect.add if collect is not None else None,
                )
                if collect is not None and not summary.interrupted:
                    from ..network import annotate_output, write_clusters

                    labels, table = collect.result()  # clustered once, for the table and the rows
                    n = write_clusters(table, collect.hubs, clusters_out)
                    click.echo(f"clusters: {n:,} networks written to {clusters_out}", err=True)
                    if output and output != "-":
                        annotate_output(output, collect, labels, table)
        except (ScanError, ModelError) as exc:
            write_summary(getattr(exc, "summary", None))
            _fail(str(exc) + partial_note())
        except ScanFailed as exc:
            write_summary(exc.summary)
            _internal(exc.__cause__ or exc, partial_note())
        except Exception as exc:  # e.g. while clustering, after the scan
            _internal(exc, partial_note())
        write_summary(summary)
        click.echo(
            json.dumps(summary.to_dict(), ensure_ascii=False) if as_json else summary.format(),
            err=True,
        )
        if summary.interrupted:
            sys.exit(EXIT_INTERRUPTED)
        worst = summary.max_risk()
        sys.exit(EXIT_FLAGGED if worst and RISK_ORDER[worst] >= RISK_ORDER[fail_on] else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
