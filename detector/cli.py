"""The ``jobscam`` command: thin wrappers that parse, call the package, and print.

Exit codes are a contract: 0 ok / nothing flagged at or above --fail-on, 1 something flagged,
2 usage or input error.
"""

from __future__ import annotations

import json
import sys

import click

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE = 0, 1, 2
RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jobscam")
def main() -> None:
    """jobscam: detect job-offer scams and trafficking-recruitment patterns in job ads.

    \b
    Examples:
      jobscam score "Customer service in Cambodia, USD 1,200, WhatsApp only"
      jobscam train && jobscam evaluate
    """


@main.command()
@click.option("--data", type=click.Path(dir_okay=False), help="Labelled CSV (EMSCAD layout).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Model folder [models/].")
def train(data: str | None, out_dir: str | None) -> None:
    """Train the model on labelled ads and save it with its manifest.

    \b
    Example:
      jobscam train --data ~/emscad/fake_job_postings.csv
    """
    from .dataset import DataError
    from .train import train as do_train

    try:
        m = do_train(data, out_dir)
    except DataError as exc:
        _fail(str(exc))
    click.echo(
        f"trained on {m['training_data']['rows']} ads ({m['training_data']['scam_rows']} scams) "
        f"in {m['train_seconds']} s; model {m['size_bytes'] / 1e6:.1f} MB, sha256 {m['sha256'][:12]}…"
    )


@main.command()
@click.option("--data", type=click.Path(dir_okay=False), help="Labelled CSV (EMSCAD layout).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Model folder [models/].")
@click.option("--folds", default=5, show_default=True, help="Grouped cross-validation folds.")
def evaluate(data: str | None, out_dir: str | None, folds: int) -> None:
    """Evaluate under grouped cross-validation; write metrics, plots and MODEL_CARD.md.

    \b
    Example:
      jobscam evaluate --folds 5
    """
    from .dataset import DataError
    from .evaluate import evaluate as do_evaluate

    try:
        report = do_evaluate(data, out_dir, n_splits=folds)
    except DataError as exc:
        _fail(str(exc))
    for mode, m in report["modes"].items():
        click.echo(
            f"{mode:>10}: F1 {m['f1']:.3f}  precision {m['precision']:.3f}  recall {m['recall']:.3f}"
            f"  PR-AUC {m['pr_auc']:.3f}  ROC-AUC {m['roc_auc']:.3f}  Brier {m['brier']:.4f}"
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
@click.option(
    "--fail-on",
    type=click.Choice(["low", "medium", "high"]),
    default="high",
    show_default=True,
    help="Exit 1 when the risk is at least this.",
)
def score(text: str | None, as_json: bool, model_dir: str | None, fail_on: str) -> None:
    """Score one ad: TEXT, or '-' (or nothing) to read it from standard input.

    \b
    Examples:
      jobscam score "Dicari admin di Kamboja, gaji 15jt, hub WA 0812..."
      pbpaste | jobscam score --json -
    """
    from . import AdError, Detector, ModelError
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


if __name__ == "__main__":  # pragma: no cover
    main()
