"""``python -m detector`` is the ``jobscam`` command."""

from .front.cli import main

main(prog_name="jobscam")
