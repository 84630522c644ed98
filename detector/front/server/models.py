"""The API's request and response models.

Requests are strict (extra keys are refused: the schema is the contract). Responses are
derived from the value types in :mod:`detector.schema` (see :func:`from_dataclass`), so a
field added there appears in the API and its OpenAPI schema without a second copy here."""

from __future__ import annotations

import dataclasses
import types
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    create_model,
)

from ...schema import MAX_AD_CHARS, META_FIELDS, TEXT_FIELDS, Verdict
from .limits import MAX_BATCH, MAX_META_CHARS

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


AdIn = Annotated[
    Annotated[TextAd, Tag("text")] | Annotated[FieldsAd, Tag("fields")],
    Discriminator(_ad_kind),
]


AD_ADAPTER: TypeAdapter[TextAd | FieldsAd] = TypeAdapter(AdIn)


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


# -- response models ---------------------------------------------------------------------
@cache
def from_dataclass(cls: type) -> type[BaseModel]:
    """A response model with exactly the keys of ``cls.to_dict()``, derived from the dataclass.

    Its fields are the dataclass's fields (less those named in ``DICT_OMIT``) plus the
    computed keys in ``DICT_EXTRA`` (``name -> (type, description)``); a field's
    ``metadata`` may give a ``doc`` (its description) and ``ge``/``le`` bounds. Nested value
    types become nested models, tuples become lists, as ``to_dict`` writes them.
    """
    hints = get_type_hints(cls)
    spec: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in getattr(cls, "DICT_OMIT", ()):
            continue
        bounds = {k: f.metadata[k] for k in ("ge", "le") if k in f.metadata}
        spec[f.name] = (
            _out_type(hints[f.name]),
            Field(description=f.metadata.get("doc"), **bounds),
        )
    for key, (tp, doc) in getattr(cls, "DICT_EXTRA", {}).items():
        spec[key] = (_out_type(tp), Field(description=doc))
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return create_model(f"{cls.__name__}Out", __doc__=doc, **spec)


def _out_type(tp: Any) -> Any:
    """The JSON-side type of a dataclass field's type."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return from_dataclass(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (list, tuple):
        return list[_out_type(args[0])]
    if origin in (Union, types.UnionType):
        return Union[tuple(_out_type(a) for a in args)]  # noqa: UP007
    if origin is dict:
        return dict[str, Any]
    return tp


VerdictOut = from_dataclass(Verdict)


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
