"""Which input column is which ad field: aliases of scraped boards (English and Indonesian) and
the one mapping every batch path and the networks use.

Layer 0 beside :mod:`detector.schema`: imports nothing else from ``detector``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .schema import META_FIELDS, TEXT_FIELDS

#: Input column names (compared lower-cased, with spaces/dashes as underscores) that map
#: onto each ad field. Includes common scraped-board names and Indonesian ones.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "ad_text", "ad", "teks", "iklan", "post", "message", "pesan", "full_text"),
    "title": ("title", "job_title", "jobtitle", "judul", "posisi", "position", "lowongan"),
    "description": (
        "description",
        "job_description",
        "desc",
        "body",
        "content",
        "details",
        "deskripsi",
        "keterangan",
        "isi",
    ),
    "company_profile": (
        "company_profile",
        "company",
        "company_name",
        "employer",
        "perusahaan",
        "nama_perusahaan",
    ),
    "requirements": ("requirements", "qualifications", "persyaratan", "syarat", "kualifikasi"),
    "benefits": ("benefits", "fasilitas", "tunjangan"),
    "location": ("location", "lokasi", "city", "kota", "penempatan", "job_location"),
    "salary_range": ("salary_range", "salary", "gaji", "pay", "wage", "upah", "compensation"),
    "department": ("department", "departemen", "divisi"),
    "contact": ("contact", "kontak", "hubungi", "phone", "telepon", "whatsapp", "email"),
    # Not scored, but used by the cluster table (detector.network).
    "url": ("url", "link", "source_url", "job_url", "tautan"),
    "posted_at": ("posted_at", "date_posted", "posted", "date", "tanggal", "created_at"),
}
SCORED_FIELDS = frozenset(TEXT_FIELDS) | {"text"}


class ScanError(ValueError):
    """A usage or input problem that stops the scan before or while it starts (exit 2)."""


def _key(name: str) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def map_columns(
    columns: Sequence[str],
    text_column: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map ad fields to input columns: ``{field: column}``.

    ``text_column`` scores that one column as pasted text; ``overrides`` (``field=column``)
    win over the automatic, case-insensitive alias match. Raises ``ScanError`` naming the
    columns when nothing scorable is found.
    """
    cols = [str(c) for c in columns]
    by_key: dict[str, str] = {}
    for c in cols:
        by_key.setdefault(_key(c), c)
    mapping: dict[str, str] = {}
    for fld, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in by_key:
                mapping[fld] = by_key[alias]
                break
    for meta in META_FIELDS:
        if meta in by_key:
            mapping[meta] = by_key[meta]
    for fld, col in (overrides or {}).items():
        if fld not in COLUMN_ALIASES and fld not in META_FIELDS:
            raise ScanError(
                f"--map {fld}={col}: unknown field {fld!r}; fields: "
                + ", ".join([*COLUMN_ALIASES, *META_FIELDS])
            )
        if col not in cols:
            raise ScanError(f"--map {fld}={col}: no column {col!r}; columns: {cols}")
        mapping[fld] = col
    if text_column is not None:
        if text_column not in cols:
            raise ScanError(f"--text-column {text_column!r} is not a column; columns: {cols}")
        mapping = {"text": text_column}
    elif "text" in mapping and any(f in mapping for f in TEXT_FIELDS) and not overrides:
        # Separate fields carry more (the fields-mode model reads each); prefer them. A text
        # column beside a title and no description is the ad's body: score it as one.
        text = mapping.pop("text")
        mapping.setdefault("description", text)
    if not SCORED_FIELDS & set(mapping):
        raise ScanError(
            "no column to score: name one with --text-column or --map FIELD=COLUMN "
            f"(fields: text, {', '.join(TEXT_FIELDS)}); the input has columns {cols}"
        )
    return mapping
