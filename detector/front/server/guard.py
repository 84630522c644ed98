"""The body guard: an ASGI middleware that checks content type and size while the body
streams in (415, 413) and rejects JSON that is too deep or not UTF-8, before FastAPI parses it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ...schema import clean_text
from .limits import AD_TAGS, MAX_BODY_BYTES, MAX_JSON_DEPTH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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


def clean_loc(loc: Any) -> list[str | int]:
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
