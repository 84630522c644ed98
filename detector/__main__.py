"""``python -m detector`` is the ``jobscam`` command."""

from .cli import main

main(prog_name="jobscam")
