"""What every ``jobscam`` command shares: exit codes, one-line errors, ``--debug``, Ctrl-C,
and the command group itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from ...schema import RISK_ORDER

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
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


def fail(message: str) -> None:
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


def internal(exc: BaseException, note: str = "") -> None:
    """Exit 3 with one line (and the traceback under --debug)."""
    if _DEBUG["on"]:
        traceback.print_exception(exc, file=sys.stderr)
    msg = f"{type(exc).__name__}: {_one_line(exc)}" if not isinstance(exc, str) else exc
    click.echo(f"error: internal failure: {msg}{note} (--debug shows the traceback)", err=True)
    sys.exit(EXIT_INTERNAL)


@contextlib.contextmanager
def later_sigints_ignored() -> Iterator[None]:
    """Once a scan has taken its Ctrl-C, further ones are ignored while it closes the output
    and reports, so the process exits 130 with a resumable partial (not killed, -2). The
    previous handler comes back unless the scan was interrupted (the process then exits)."""
    import signal
    import threading

    from ...batch import SIGINTS_SEEN

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
            internal(exc)


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
