"""The HTTP API: a thin FastAPI layer over :class:`~detector.core.Detector`.

Every endpoint returns the same values as the Python API (``Verdict.to_dict()``); nothing here
re-implements scoring. Run it with ``jobscam serve``; see ``docs/api.md`` for the endpoints and
their limits.

Safety: the model loads once at start-up from the project's own folder (never from a request);
request bodies are size-capped while they stream in (413), must be JSON (415), and every error
is a JSON message without a stack trace (unexpected ones are logged server-side, answered 500).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from .core import Detector
from .persistence import read_manifest
from .schema import MAX_AD_CHARS, META_FIELDS, TEXT_FIELDS, Ad, AdError

log = logging.getLogger("jobscam.server")

API_VERSION = "v1"
#: Most ads scored in one ``/v1/score/batch`` request.
MAX_BATCH = 100
#: Largest request body accepted, in bytes (enough for one ad of MAX_AD_CHARS in UTF-8 JSON).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: Longest value of a metadata field (not scored; stored for context only).
MAX_META_CHARS = 1_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- request models ------------------------------------------------------------------------
#: "Has a character that is not whitespace" (Python's ``str.isspace`` set, which ``Ad`` strips).
#: In the schema only: a blank ad gets ``Ad``'s own clearer message rather than a regex's.
NON_BLANK = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
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


AdIn = Annotated[
    Annotated[TextAd, Tag("text")] | Annotated[FieldsAd, Tag("fields")],
    Discriminator(_ad_kind),
]


class BatchRequest(_Strict):
    ads: list[AdIn] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"One to {MAX_BATCH} ads; the verdicts come back in the same order.",
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
    caveats: list[str]
    model_probability: float | None
    indicator_probability: float | None
    model_version: str
    text: str = Field(description="The text that finding spans index into.")


class BatchResponse(BaseModel):
    verdicts: list[VerdictOut]


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
            body.decode("utf-8")  # JSON on the wire is UTF-8 (RFC 8259)
        except UnicodeDecodeError as exc:
            msg = f"the body is not valid UTF-8 (byte {exc.start})"
            await _send_json(
                send, 422, {"detail": [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]}
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
        items = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
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
        term contributions. One invalid ad fails the whole request with a 422 naming its index.
        """
        ads = [_to_ad(a, ["body", "ads", i]) for i, a in enumerate(batch.ads)]
        return {"verdicts": [v.to_dict() for v in det(request).score_many(ads)]}

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


__all__ = ["create_app", "model_info", "BodyGuard", "MAX_BATCH", "MAX_BODY_BYTES"]
