"""The HTTP API (``jobscam serve``): routes over :class:`detector.Detector`, nothing re-scored.

Owns
    ``app``      :func:`create_app` and its endpoints, errors as JSON, the public model facts;
    ``models``   strict request models; response models derived from :mod:`detector.schema`;
    ``guard``    the ASGI middleware that checks body type, size and JSON depth while it streams;
    ``limits``   the sizes the API accepts;
    ``serving``  uvicorn settings, the slow-sender timeout, open-file limit, quiet logs.

May import :mod:`detector.core`, :mod:`detector.schema`, :mod:`detector.model.persistence`.
"""

from .app import create_app, model_info
from .guard import BodyGuard
from .limits import MAX_BATCH, MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_META_CHARS
from .models import VerdictOut, from_dataclass
from .serving import (
    GuardedH11Protocol,
    RepeatFilter,
    install_log_filters,
    raise_open_file_limit,
    uvicorn_settings,
)

__all__ = [
    "create_app",
    "model_info",
    "BodyGuard",
    "GuardedH11Protocol",
    "RepeatFilter",
    "VerdictOut",
    "from_dataclass",
    "install_log_filters",
    "raise_open_file_limit",
    "uvicorn_settings",
    "MAX_BATCH",
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_META_CHARS",
]
