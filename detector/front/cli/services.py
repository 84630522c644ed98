"""``jobscam serve`` (the HTTP API) and ``jobscam app`` (the web page)."""

from __future__ import annotations

import os
import sys

import click

from ...paths import APP_SCRIPT
from .base import EXIT_OK, fail, main


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

    from ...model.persistence import ModelError, read_manifest
    from ..server import install_log_filters, raise_open_file_limit, uvicorn_settings

    if model_dir is not None:
        os.environ["JOBSCAM_MODEL_DIR"] = model_dir  # worker processes inherit it
    os.environ["JOBSCAM_REQUEST_TIMEOUT"] = str(request_timeout)
    try:
        read_manifest()  # fail fast and clearly; each worker loads and checks the model itself
    except ModelError as exc:
        fail(str(exc))
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
        fail(f"the page {page} is not there: run from a source checkout of jobscam")
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
