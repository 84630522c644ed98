"""Scanning job-board files: ``jobscam scan`` over CSV, JSONL or Parquet, locally or on Dask.

Owns
    ``readers``, ``csv_reader``  chunks of rows from files or stdin, every row kept with its
                                 line number and any read error;
    ``results``                  mapped fields -> scored result columns, one chunk at a time;
    ``writers``                  output files written as chunks finish, and read back;
    ``summary``                  the accounting (rows in = scored + errors = out + filtered);
    ``resume``                   the progress file and input fingerprint behind ``--resume``;
    ``engine``                   the local engine (:func:`scan`: process pool, Ctrl-C);
    ``dask_engine``              the same over a directory of partitions (:func:`scan_dask`);
    ``clusters``                 networks in output files: member columns and the clusters table.

May import :mod:`detector.core`, :mod:`detector.network`, :mod:`detector.columns`,
:mod:`detector.schema`. The front ends call it; nothing below imports it.
"""

from ..columns import COLUMN_ALIASES, ScanError, map_columns
from .chunks import MAX_FIELD_CHARS
from .clusters import annotate_output, cluster_output, write_clusters
from .csv_reader import MAX_RECORD_BYTES
from .dask_engine import scan_dask
from .engine import INTERRUPT_AFTER_ENV, INTERRUPT_TWICE_ENV, SIGINTS_SEEN, ScanFailed, scan
from .readers import FORMATS, detect_format, expand_inputs, read_chunks
from .results import RESULT_COLUMNS
from .resume import progress_path
from .summary import ScanSummary
from .writers import read_output, sort_output

__all__ = [
    "COLUMN_ALIASES",
    "FORMATS",
    "INTERRUPT_AFTER_ENV",
    "INTERRUPT_TWICE_ENV",
    "MAX_FIELD_CHARS",
    "MAX_RECORD_BYTES",
    "RESULT_COLUMNS",
    "SIGINTS_SEEN",
    "ScanError",
    "ScanFailed",
    "ScanSummary",
    "annotate_output",
    "cluster_output",
    "detect_format",
    "expand_inputs",
    "map_columns",
    "progress_path",
    "read_chunks",
    "read_output",
    "scan",
    "scan_dask",
    "sort_output",
    "write_clusters",
]
