"""What the API accepts: request size, nesting depth, batch size and field lengths.

Constants only, shared by the request models, the body guard and the app."""

from __future__ import annotations

API_VERSION = "v1"
#: Most ads scored in one ``/v1/score/batch`` request.
MAX_BATCH = 100
#: Largest request body accepted, in bytes (enough for one ad of MAX_AD_CHARS in UTF-8 JSON).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: Longest value of a metadata field (not scored; stored for context only).
MAX_META_CHARS = 1_000
#: Deepest JSON nesting accepted (a valid request nests 4 levels); deeper is a 422.
MAX_JSON_DEPTH = 32
#: The two shapes of an ad in a request: ``{"text": ...}`` and ``{"fields": {...}}``.
AD_TAGS = ("text", "fields")
