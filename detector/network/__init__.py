"""Networks of ads: clusters linked by shared identifiers or near-duplicate text.

Organised recruiters post the same ad many times, under different company names, from the
same WhatsApp number or e-mail. Rows that share a normalised identifier (the ``contacts`` of
a verdict) or whose texts are near duplicates (datasketch MinHash over word shingles, banded
LSH) are linked; connected components are the networks. Near-linear: every link goes from a
row to the first row holding the same key (a star, never all pairs). An identifier held by
more than ``max(min_hub_rows, hub_share * rows)`` rows (a job board's footer e-mail) is a
*hub*: reported, not used to link.

Owns
    ``keys``   MinHash band keys and identifier link keys (equal across processes);
    ``graph``  linking, hubs, components; :class:`ClusterCollector` (chunk by chunk) and
               :func:`cluster` (a frame in memory: the page);
    ``table``  the one-row-per-network table and each member row's columns;
    ``dask``   the same over a ``dask.dataframe`` (:func:`cluster_dask`).

Files are not its business: :mod:`detector.batch.clusters` adds the member columns to scan
output. May import :mod:`detector.columns` and :mod:`detector.schema` only.
"""

from .dask import cluster_dask
from .graph import ClusterCollector, cluster, text_links
from .keys import NUM_BANDS, band_keys, band_matrix, contact_ids, link_key, shingles
from .table import CLUSTER_COLUMNS, ROW_COLUMNS, network_note, network_risk, row_columns

__all__ = [
    "CLUSTER_COLUMNS",
    "NUM_BANDS",
    "ROW_COLUMNS",
    "ClusterCollector",
    "band_keys",
    "band_matrix",
    "cluster",
    "cluster_dask",
    "contact_ids",
    "link_key",
    "network_note",
    "network_risk",
    "row_columns",
    "shingles",
    "text_links",
]
