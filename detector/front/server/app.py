"""The HTTP API: a thin FastAPI layer over :class:`~detector.core.Detector`.

Every endpoint returns the same values as the Python API (``Verdict.to_dict()``); nothing here
re-implements scoring. Run it with ``jobscam serve``; see ``docs/api.md`` for the endpoints and
their limits.

Safety: the model loads once at start-up from the project's own folder (never from a request);
request bodies are size-capped while they stream in (413), must be JSON (415), and every error
is a JSON message without a stack trace (unexpected ones are logged server-side, answered 500)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from ...core import Detector
from ...model.persistence import read_manifest
from ...schema import MAX_AD_CHARS, Ad, AdError
from .guard import BodyGuard, clean_loc
from .limits import AD_TAGS, API_VERSION, MAX_BATCH, MAX_BODY_BYTES
from .models import (
    AD_ADAPTER,
    ERROR_RESPONSES,
    AdIn,
    BatchRequest,
    BatchResponse,
    FieldsAd,
    Health,
    Limits,
    ModelInfo,
    TextAd,
    VerdictOut,
)
from .serving import install_log_filters

log = logging.getLogger("jobscam.server")


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
                "loc": clean_loc(e.get("loc", ())),
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
                ad = _to_ad(AD_ADAPTER.validate_python(raw), loc)
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
