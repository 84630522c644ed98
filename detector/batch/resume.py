"""What makes an interrupted scan resumable: the progress file and the input's fingerprint."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any


def progress_path(output: str) -> str:
    return f"{output}.scan-progress.json"


def save_progress(path: str, state: Mapping[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh, ensure_ascii=False)
    os.replace(tmp, path)


#: Bytes hashed at each end of an input to notice a changed file on --resume.
FINGERPRINT_BYTES = 1 << 20


def fingerprint(path: str) -> dict[str, Any]:
    """Size, modification time and sha256 of the first and last MiB of ``path``."""
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read(FINGERPRINT_BYTES))
        if st.st_size > FINGERPRINT_BYTES:
            fh.seek(max(FINGERPRINT_BYTES, st.st_size - FINGERPRINT_BYTES))
            h.update(fh.read())
    return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}
