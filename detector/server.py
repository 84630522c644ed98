"""The HTTP API: a thin FastAPI layer over :class:`~detector.core.Detector`.

Every endpoint returns the same values as the Python API (``Verdict.to_dict()``); nothing here
re-implements scoring. Run it with ``jobscam serve``; see ``docs/api.md`` for the endpoints and
their limits.

Safety: the model loads once at start-up from the project's own folder (never from a request);
request bodies are size-capped while they stream in (413), must be JSON (415), and every error
is a JSON message without a stack trace (unexpected ones are logged server-side, answered 500).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError
from uvicorn.protocols.http.h11_impl import H11Protocol

from .core import Detector
from .model.persistence import read_manifest
from .schema import MAX_AD_CHARS, META_FIELDS, TEXT_FIELDS, Ad, AdError, clean_text

log = logging.getLogger("jobscam.server")

API_VERSION = "v1"
#: Most ads scored in one ``/v1/score/batch`` request.
MAX_BATCH = 100
#: Largest request body accepted, in bytes (enough for one ad of MAX_AD_CHARS in UTF-8 JSON).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: Longest value of a metadata field (not scored; stored for context only).
MAX_META_CHARS = 1_000
#: Deepest JSON nesting accepted (a valid request nests 4 levels); deeper is a 422.
MAX_JSON_DEPTH = 32

#: ``jobscam serve`` defaults (see docs/api.md, "Timeouts and limits").
#: Seconds a client has to send a whole request (headers and body) once it starts; a slow or
#: stalled sender (slowloris) is disconnected.
REQUEST_TIMEOUT = 15.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_TIMEOUT = 5
#: Connections plus requests in progress per worker; over it, new requests get 503.
LIMIT_CONCURRENCY = 200
#: Largest request head (request line and headers) h11 buffers, in bytes.
MAX_HEAD_BYTES = 16 * 1024
#: Seconds during which a repeated log message is written once (then counted).
LOG_REPEAT_WINDOW = 10.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- serving: timeouts, limits, quiet logs -------------------------------------------------
class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request.

    uvicorn only times out idle keep-alive connections; a client that sends half a request
    and then trickles (or nothing) holds a connection for ever, and enough of them exhaust
    the process's file descriptors. Here each request must arrive whole within
    ``$JOBSCAM_REQUEST_TIMEOUT`` seconds (default ``REQUEST_TIMEOUT``) of its first byte
    slot: from the connection's start, or the end of the previous response.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout = float(os.environ.get("JOBSCAM_REQUEST_TIMEOUT", REQUEST_TIMEOUT))
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.debug("closing a connection that did not send its request in time")
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.more_body and not self.cycle.response_complete:
            self._disarm()  # the whole request is in: the app's time is not the client's

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class RepeatFilter(logging.Filter):
    """Write a repeated log message once per ``window`` seconds, then say how many were
    dropped. Under a flood ("Too many open files" on every accept) the log stays readable
    and the disk does not fill."""

    def __init__(self, window: float = LOG_REPEAT_WINDOW) -> None:
        super().__init__()
        self.window = window
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        last, dropped = self._seen.get(key, (-1e18, 0))
        if now - last < self.window:
            self._seen[key] = (last, dropped + 1)
            return False
        if dropped:
            record.msg = f"{record.msg} ({dropped:,} more like this in the last {self.window:g} s)"
        self._seen[key] = (now, 0)
        if len(self._seen) > 10_000:  # bounded: forget the oldest half
            for k in sorted(self._seen, key=lambda k: self._seen[k][0])[:5_000]:
                del self._seen[k]
        return True


#: Loggers that can flood: the event loop's accept errors, uvicorn's own, ours.
FLOOD_LOGGERS = ("asyncio", "uvicorn", "uvicorn.error", "jobscam.server")


def install_log_filters(window: float = LOG_REPEAT_WINDOW) -> None:
    """Add one ``RepeatFilter`` to each flood-prone logger (idempotent; per process)."""
    for name in FLOOD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter(window))


def raise_open_file_limit() -> None:
    """Raise the soft limit on open files to the hard one (more room before EMFILE)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):  # not on this platform, or not allowed
        pass


def uvicorn_settings(
    limit_concurrency: int = LIMIT_CONCURRENCY,
    keep_alive_timeout: int = KEEP_ALIVE_TIMEOUT,
) -> dict[str, Any]:
    """The uvicorn settings ``jobscam serve`` runs with."""
    return {
        "http": GuardedH11Protocol,
        "timeout_keep_alive": keep_alive_timeout,
        "limit_concurrency": limit_concurrency,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "backlog": 2048,
    }


# -- request models ------------------------------------------------------------------------
#: "Has a letter or a digit" (any script), as ``Ad`` requires: only whitespace, punctuation
#: or invisible characters is an empty ad. In the schema only: a blank ad gets ``Ad``'s own
#: clearer message rather than a regex's.
NON_BLANK = r"[^\W_]"
AdText = Annotated[
    str, Field(min_length=1, max_length=MAX_AD_CHARS, json_schema_extra={"pattern": NON_BLANK})
]
#: A text field of a fields ad: may be blank if another one is not (the ``AdFields`` anyOf).
FieldText = Annotated[str, Field(max_length=MAX_AD_CHARS)]
MetaText = Annotated[str, Field(max_length=MAX_META_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # the schema is the contract


class AdFields(_Strict):
    """An ad as separate fields (EMSCAD layout). At least one text field must be non-blank."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [f], "properties": {f: {"type": "string", "pattern": NON_BLANK}}}
                for f in TEXT_FIELDS
            ]
        }
    )

    title: FieldText | None = None
    company_profile: FieldText | None = None
    description: FieldText | None = None
    requirements: FieldText | None = None
    benefits: FieldText | None = None
    location: FieldText | None = None
    salary_range: FieldText | None = None
    department: FieldText | None = None
    contact: FieldText | None = None
    telecommuting: bool | None = None
    has_company_logo: bool | None = None
    has_questions: bool | None = None
    employment_type: MetaText | None = None
    required_experience: MetaText | None = None
    required_education: MetaText | None = None
    industry: MetaText | None = None
    function: MetaText | None = None


assert set(AdFields.model_fields) == set(TEXT_FIELDS) | set(META_FIELDS)  # kept in step


class TextAd(_Strict):
    """An ad as one pasted text."""

    text: AdText = Field(
        description="The ad as pasted (any language; English and Indonesian are read best).",
        examples=["Dicari admin di Kamboja, gaji 15jt, tiket gratis, hub WA 0812-3456-7890"],
    )


class FieldsAd(_Strict):
    """An ad as separate fields; they are joined in a fixed order into the text spans index."""

    fields: AdFields


def _ad_kind(value: Any) -> str:
    if isinstance(value, dict) and "fields" in value:
        return "fields"
    if isinstance(value, BaseModel):
        return "fields" if isinstance(value, FieldsAd) else "text"
    return "text"


AD_TAGS = ("text", "fields")
AdIn = Annotated[
    Annotated[TextAd, Tag("text")] | Annotated[FieldsAd, Tag("fields")],
    Discriminator(_ad_kind),
]


_AD_ADAPTER: TypeAdapter[TextAd | FieldsAd] = TypeAdapter(AdIn)


class BatchRequest(_Strict):
    ads: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=(
            f'One to {MAX_BATCH} ads, each as for `/v1/score` (`{{"text": ...}}` or '
            '`{"fields": {...}}`); each is checked on its own, and an invalid one gets an '
            "entry in `errors` (its verdict is null) instead of failing the batch."
        ),
        json_schema_extra={"items": {"type": "object"}},
    )


# -- response models (mirror the ``to_dict()`` of the value types in detector.schema) -------
class FindingOut(BaseModel):
    rule_id: str
    category: str
    title_en: str
    title_id: str
    why_en: str
    why_id: str
    source: str
    weight: float
    start: int = Field(description="Offset of the first character in `text` (0-based).")
    end: int = Field(description="Offset just past the last character: text[start:end].")
    text: str


class TermOut(BaseModel):
    term: str
    weight: float = Field(description="Push on the score in log-odds; positive is riskier.")


class ContactOut(BaseModel):
    kind: str
    value: str
    text: str
    start: int
    end: int
    flags: list[str]


class AmountOut(BaseModel):
    value: float
    currency: str
    period: str | None
    text: str
    start: int
    end: int
    monthly_usd: float | None


class DestinationOut(BaseModel):
    name: str
    country: str
    text: str
    start: int
    end: int
    risky: bool


class CaveatOut(BaseModel):
    code: str
    en: str
    id: str


class VerdictOut(BaseModel):
    """The verdict on one ad: exactly ``Verdict.to_dict()`` of the Python API."""

    probability: float = Field(ge=0, le=1)
    risk: Literal["low", "medium", "high"]
    language: str
    mode: Literal["paste", "fields"]
    categories: list[str]
    findings: list[FindingOut]
    terms: list[TermOut] = Field(description="Empty in batch results (as in `score_many`).")
    contacts: list[ContactOut]
    amounts: list[AmountOut]
    destinations: list[DestinationOut]
    caveats: list[CaveatOut]
    model_probability: float | None
    indicator_probability: float | None
    model_version: str
    text: str = Field(description="The text that finding spans index into.")


class ItemError(BaseModel):
    index: int = Field(description="Position of the ad in `ads` (0-based).")
    loc: list[str | int]
    msg: str
    type: str


class BatchResponse(BaseModel):
    verdicts: list[VerdictOut | None] = Field(
        description="One per ad, in order; null for an ad listed in `errors`."
    )
    errors: list[ItemError] = Field(description="The ads that could not be scored, and why.")


class Limits(BaseModel):
    max_body_bytes: int
    max_batch: int
    max_ad_chars: int


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str
    limits: Limits


class Band(BaseModel):
    high: float
    medium: float


class ModelInfo(BaseModel):
    """What the served model is: no file paths, only what a client needs to trust a score."""

    version: str
    created: str | None
    sha256: str | None
    thresholds: dict[str, Band] = Field(description="Risk band cut-offs per scoring mode.")
    metrics: dict[str, Any] | None = Field(
        description="Per scoring mode, figures from `jobscam evaluate` (null until it is run)."
    )
    evaluation: dict[str, Any] | None = Field(
        description="How the metrics were measured (protocol, rows, template groups)."
    )
    training_data: dict[str, Any] = Field(
        description="Rows, scams, natural scam rate and when the training ads were posted."
    )
    data_date: str | None = Field(description="When the training ads were posted.")
    rules_fingerprint: str | None
    libraries: dict[str, str]


class ErrorMessage(BaseModel):
    detail: str


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrors(BaseModel):
    detail: list[ErrorItem]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorMessage, "description": "The request body is too large."},
    415: {"model": ErrorMessage, "description": "The body is not JSON (UTF-8)."},
    422: {"model": ValidationErrors, "description": "An ad or the request is invalid."},
    500: {"model": ErrorMessage, "description": "Unexpected error (logged on the server)."},
}


# -- middleware: content type and body size ---------------------------------------------------
class BodyGuard:
    """Reject non-JSON bodies (415) and bodies over ``max_bytes`` (413) before the app runs.

    Applies to POSTs to ``paths`` (the endpoints that take a body); any other request goes
    straight to the app, which answers 404/405 without reading a body. The body is read from the stream and counted, so a missing or false Content-Length does not
    get past the cap; a declared length over it is refused without reading.
    """

    def __init__(
        self, app: ASGIApp, paths: frozenset[str], max_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.paths = paths
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = _content_type_problem(headers.get("content-type"))
        if problem:
            await _send_json(send, 415, {"detail": problem})
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _send_json(send, 413, {"detail": self._too_big(int(declared))})
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_json(send, 413, {"detail": self._too_big(None)})
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            text = body.decode("utf-8")  # JSON on the wire is UTF-8 (RFC 8259)
        except UnicodeDecodeError as exc:
            msg = f"the body is not valid UTF-8 (byte {exc.start})"
            await _send_json(
                send, 422, {"detail": [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]}
            )
            return
        problem, body = _check_json(text, body)
        if problem:
            await _send_json(
                send, 422, {"detail": [{"loc": ["body"], "msg": problem, "type": "json_invalid"}]}
            )
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_big(self, declared: int | None) -> str:
        size = f" ({declared:,} bytes)" if declared is not None else ""
        return (
            f"the request body is too large{size}; the limit is {self.max_bytes:,} bytes. "
            f"Send long ads one at a time, or fewer ads per batch."
        )


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH:
                return d
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if clean_text(v) is not v:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _check_json(text: str, body: bytes) -> tuple[str | None, bytes]:
    """(problem, body to pass on): JSON nested past ``MAX_JSON_DEPTH`` is refused (422, as
    documented, not the parser's 400); ``\\udXXX`` escapes of lone surrogates are replaced
    by U+FFFD, as the Python API does. Invalid JSON is passed on for FastAPI to describe."""
    try:
        value = json.loads(text)
    except RecursionError:
        return f"the JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)", body
    except ValueError:
        return None, body
    if _depth(value) > MAX_JSON_DEPTH:
        return f"the JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)", body
    if "\\u" in text and _has_surrogate(value):
        body = json.dumps(_clean(value), ensure_ascii=False).encode("utf-8")
    return None, body


def _clean_loc(loc: Any) -> list[str | int]:
    """``loc`` without the union tag pydantic inserts (``["body", "text", "text"]`` is the
    ``text`` field of the body, not a field ``text`` inside one called ``text``)."""
    out = list(loc)
    if len(out) >= 2 and out[0] == "body" and out[1] in AD_TAGS:
        del out[1]
    return out


def _content_type_problem(value: str | None) -> str | None:
    if not value:
        return "missing Content-Type; send the body as application/json"
    mime, *params = (p.strip() for p in value.split(";"))
    if mime.lower() != "application/json":
        return f"unsupported Content-Type {mime!r}; send the body as application/json"
    for p in params:
        name, _, charset = p.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return f"unsupported charset {charset.strip()!r}; send UTF-8"
    return None


async def _send_json(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- the app -------------------------------------------------------------------------------
def _to_ad(ad: TextAd | FieldsAd, loc: list[str | int]) -> Ad:
    """The validated request ad as an ``Ad``; ``AdError`` becomes a 422 naming the field."""
    raw: str | dict[str, Any]
    if isinstance(ad, TextAd):
        raw, where = ad.text, [*loc, "text"]
    else:
        raw, where = ad.fields.model_dump(exclude_none=True), [*loc, "fields"]
    try:
        return Ad.from_input(raw)
    except AdError as exc:
        raise _AdRejected(where, str(exc)) from exc


class _AdRejected(Exception):
    def __init__(self, loc: list[str | int], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


#: The training-data facts /v1/model shows.
TRAINING_CORPORA = ("emscad", "real")
TRAINING_KEYS = (
    "rows",
    "scam_rows",
    "template_groups",
    "ads_posted",
    "natural_scam_rate",
    "id_scam",
    "id_legit",
    "en_scam",
    "en_legit",
    "cv_groups",
    "source_groups",
)


def model_info(manifest: dict[str, Any]) -> dict[str, Any]:
    """The public part of a manifest (no file names or paths)."""
    # An allow-list, so a field added to the manifest later (e.g. a data path) is not leaked.
    given = manifest.get("training_data") or {}
    training = {
        corpus: {k: facts[k] for k in TRAINING_KEYS if k in facts}
        for corpus, facts in given.items()
        if corpus in TRAINING_CORPORA and isinstance(facts, dict)
    }
    metrics = manifest.get("metrics")
    evaluation = manifest.get("evaluation")
    return {
        "version": str(manifest.get("version", manifest.get("created", ""))),
        "created": manifest.get("created"),
        "sha256": manifest.get("sha256"),
        "thresholds": manifest.get("thresholds", {}),
        "metrics": metrics if isinstance(metrics, dict) else None,
        "evaluation": evaluation if isinstance(evaluation, dict) else None,
        "training_data": training,
        "data_date": training.get("emscad", {}).get("ads_posted"),
        "rules_fingerprint": manifest.get("rules_fingerprint"),
        "libraries": manifest.get("libraries", {}),
    }


def create_app(
    detector: Detector | None = None,
    *,
    model_dir: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the API. The model loads once at start-up unless a ``detector`` is given.

    Parameters
    ----------
    detector
        An already loaded detector (tests, embedding); else ``Detector.load(model_dir)``.
    model_dir
        Model folder (default ``$JOBSCAM_MODEL_DIR`` or the shipped ``models/``).
    max_body_bytes
        Largest request body accepted (413 above it).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        det = detector if detector is not None else Detector.load(model_dir)
        app.state.detector = det
        # The manifest as loaded with the model (the Detector keeps it); fall back to the file.
        app.state.model_info = model_info(det.manifest or read_manifest(model_dir))
        install_log_filters()  # per worker process: logging is configured in each
        log.info("jobscam model %s loaded", det.version)
        yield

    app = FastAPI(
        title="jobscam",
        description="See docs/api.md for examples and limits.",
        version=API_VERSION,
        summary="Score job ads for scam and trafficking-recruitment risk, with the evidence.",
        lifespan=lifespan,
        responses={500: ERROR_RESPONSES[500]},
    )
    if detector is not None:  # usable even by clients that skip the lifespan events
        app.state.detector = detector
        app.state.model_info = model_info(detector.manifest)
    limits = Limits(max_body_bytes=max_body_bytes, max_batch=MAX_BATCH, max_ad_chars=MAX_AD_CHARS)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back: an ad can be a megabyte.
        items = []
        for e in exc.errors():
            item = {
                "loc": _clean_loc(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": e.get("type"),
            }
            if item not in items:  # the same complaint once
                items.append(item)
        return JSONResponse(status_code=422, content={"detail": items})

    @app.exception_handler(_AdRejected)
    async def ad_rejected(request: Request, exc: _AdRejected) -> JSONResponse:
        return JSONResponse(
            status_code=422, content={"detail": [{"loc": exc.loc, "msg": exc.msg, "type": "ad"}]}
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            status_code=500,
            content={"detail": "internal error while handling the request; it has been logged"},
        )

    def det(request: Request) -> Detector:
        return request.app.state.detector  # type: ignore[no-any-return]

    # Plain ``def`` endpoints: FastAPI runs them in its threadpool, so CPU-bound scoring does
    # not block the event loop and requests are scored concurrently.
    @app.post(
        f"/{API_VERSION}/score",
        response_model=VerdictOut,
        responses={k: v for k, v in ERROR_RESPONSES.items() if k != 500},
        summary="Score one ad",
    )
    def score(request: Request, ad: Annotated[AdIn, Body()]) -> dict[str, Any]:
        """Score one ad, given as `{"text": ...}` or `{"fields": {...}}`.

        Returns the verdict exactly as the Python API's `Verdict.to_dict()`: probability, risk
        band, findings with character spans into `text`, term contributions, caveats.
        """
        return det(request).score(_to_ad(ad, ["body"])).to_dict()

    @app.post(
        f"/{API_VERSION}/score/batch",
        response_model=BatchResponse,
        responses={k: v for k, v in ERROR_RESPONSES.items() if k != 500},
        summary=f"Score up to {MAX_BATCH} ads",
    )
    def score_batch(request: Request, batch: BatchRequest) -> dict[str, Any]:
        """Score several ads in one request; verdicts come back in the same order.

        Faster per ad than single requests; as with `Detector.score_many`, verdicts carry no
        term contributions. Each ad is checked on its own: an invalid one gets `null` in
        `verdicts` and an entry in `errors` (its index, `loc`, `msg`), the others are scored.
        """
        ads: list[Ad] = []
        where: list[int] = []
        errors: list[dict[str, Any]] = []
        for i, raw in enumerate(batch.ads):
            loc: list[str | int] = ["body", "ads", i]
            try:
                ad = _to_ad(_AD_ADAPTER.validate_python(raw), loc)
            except ValidationError as exc:
                seen: list[dict[str, Any]] = []
                for e in exc.errors():
                    parts = list(e.get("loc", ()))
                    if parts and parts[0] in AD_TAGS:
                        parts = parts[1:]
                    item = {"index": i, "loc": [*loc, *parts], "msg": str(e.get("msg", "")),
                            "type": str(e.get("type"))}  # fmt: skip
                    if item not in seen:
                        seen.append(item)
                errors.extend(seen)
                continue
            except _AdRejected as exc:
                errors.append({"index": i, "loc": exc.loc, "msg": exc.msg, "type": "ad"})
                continue
            ads.append(ad)
            where.append(i)
        verdicts: list[dict[str, Any] | None] = [None] * len(batch.ads)
        for i, v in zip(where, det(request).score_many(ads) if ads else [], strict=True):
            verdicts[i] = v.to_dict()
        return {"verdicts": verdicts, "errors": errors}

    @app.get(f"/{API_VERSION}/health", response_model=Health, summary="Liveness and limits")
    def health(request: Request) -> dict[str, Any]:
        return {"status": "ok", "model_version": det(request).version, "limits": limits}

    @app.get(f"/{API_VERSION}/model", response_model=ModelInfo, summary="The served model")
    def model(request: Request) -> dict[str, Any]:
        """Version, risk thresholds, evaluation metrics and training-data date of the model."""
        return request.app.state.model_info  # type: ignore[no-any-return]

    posts = frozenset(r.path for r in app.routes if isinstance(r, APIRoute) and "POST" in r.methods)
    app.add_middleware(BodyGuard, paths=posts, max_bytes=max_body_bytes)
    return app


__all__ = [
    "create_app",
    "model_info",
    "BodyGuard",
    "GuardedH11Protocol",
    "RepeatFilter",
    "install_log_filters",
    "uvicorn_settings",
    "MAX_BATCH",
    "MAX_BODY_BYTES",
]
