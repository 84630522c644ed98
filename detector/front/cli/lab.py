"""``jobscam train`` and ``jobscam evaluate``: build and judge the model in ``models/``."""

from __future__ import annotations

import click

from .base import fail, main

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
    from ...model.dataset import DataError
    from ...training.train import train as do_train

    try:
        m = do_train(data, out_dir, real=real)
    except DataError as exc:
        fail(str(exc))
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
    from ...model.dataset import DataError
    from ...training.evaluate import evaluate as do_evaluate

    try:
        report = do_evaluate(data, out_dir, n_splits=folds, real=real, ablate=ablate)
    except DataError as exc:
        fail(str(exc))
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
