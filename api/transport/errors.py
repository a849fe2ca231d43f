"""Errors at the edge: each domain code's HTTP status and WebSocket close code, and the JSON body
every error answer has."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.broker.connection import failure
from api.domain.errors import Code, DomainError
from api.observability.metrics import Metrics

logger = logging.getLogger(__name__)

STATUS: dict[Code, int] = {
    Code.BAD_REQUEST: 400,
    Code.INVALID_JSON: 400,
    Code.INVALID_ENCODING: 400,
    Code.PUBLIC_ROOM: 400,
    Code.SIGN_IN_REQUIRED: 401,
    Code.INVALID_TOKEN: 401,
    Code.TOKEN_EXPIRED: 401,
    Code.SESSION_ENDED: 401,
    Code.NOT_ALLOWED: 403,
    Code.NO_SUCH_MEMBER: 404,
    Code.NO_SUCH_USER: 404,
    Code.WRONG_PASSWORD: 401,
    Code.NOT_A_MEMBER: 403,
    Code.CROSS_ORIGIN: 403,
    Code.NOT_FOUND: 404,
    Code.NO_SUCH_ROOM: 404,
    Code.NO_SUCH_MESSAGE: 404,
    Code.MESSAGE_DELETED: 404,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.NAME_TAKEN: 409,
    Code.NAME_REGISTERED: 409,
    Code.ROOM_EXISTS: 409,
    Code.MESSAGE_TOO_LONG: 413,
    Code.BODY_TOO_LARGE: 413,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
    Code.INVALID_REQUEST: 422,
    Code.INVALID_FRAME: 422,
    Code.INVALID_NAME: 422,
    Code.RESERVED_NAME: 422,
    Code.WEAK_PASSWORD: 422,
    Code.INVALID_ROOM: 422,
    Code.INVALID_TEXT: 422,
    Code.CONTROL_CHARACTER: 422,
    Code.EMPTY_MESSAGE: 422,
    Code.INVALID_CLIENT_ID: 422,
    Code.INVALID_CURSOR: 422,
    Code.TOO_MANY_ROOMS: 422,
    Code.INVALID_EMOJI: 422,
    Code.TOO_MANY_REACTIONS: 422,
    Code.RATE_LIMITED: 429,
    Code.TOO_MANY_ATTEMPTS: 429,
    Code.UNAVAILABLE: 503,
    Code.STORE_FULL: 503,
    Code.NO_SUCH_FILE: 404,
    Code.FILE_TOO_LARGE: 413,
    Code.INVALID_IMAGE: 422,
    Code.IMAGE_TOO_LARGE: 422,
    Code.TOO_MANY_FILES: 422,
    Code.FILE_NOT_ATTACHABLE: 422,
    Code.UPLOAD_INCOMPLETE: 422,
    Code.FILES_NOT_CONFIGURED: 503,
    Code.FILES_UNAVAILABLE: 503,
}
_CODE_OF_STATUS = {
    400: Code.BAD_REQUEST,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    413: Code.BODY_TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    422: Code.INVALID_REQUEST,
}

# WebSocket close codes: 1008 policy (bad input, no access), 1013 try again later.
CLOSE_UNAVAILABLE = 1013
CLOSE_REFUSED = 1008


def close_code(code: Code) -> int:
    return CLOSE_UNAVAILABLE if code in (Code.UNAVAILABLE, Code.STORE_FULL, Code.RATE_LIMITED) else CLOSE_REFUSED


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(error: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return JSONResponse(error_body(error.code, error.message), status_code=STATUS[error.code], headers=headers)


def redis_response(exc: RedisError, metrics: Metrics | None) -> JSONResponse:
    if metrics is not None:
        metrics.redis_error()
    logger.warning("redis failed: %s: %s", type(exc).__name__, exc)
    return error_response(failure(exc))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RedisError)
    async def _redis(request: Request, exc: RedisError) -> JSONResponse:
        return redis_response(exc, getattr(request.state, "metrics", None))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_OF_STATUS.get(exc.status_code, Code.BAD_REQUEST)
        message = exc.detail if isinstance(exc.detail, str) else code.value
        headers = getattr(exc, "headers", None)
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        json_body = not media or media == "application/json" or media.endswith("+json")
        if not json_body and any(tuple(err.get("loc", ())) == ("body",) for err in exc.errors()):
            # A form (curl -d) or anything else where a JSON object was wanted (the body as a whole
            # refused; a form route's missing field is a field's error): say so, rather than that
            # the body is "not a valid dictionary".
            return error_response(DomainError(Code.UNSUPPORTED_MEDIA_TYPE, f"send application/json, not {media}"))
        parts, code = [], Code.INVALID_REQUEST
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
            if err.get("type") == "string_unicode":  # a lone surrogate ("\ud800") in a JSON string
                code = Code.INVALID_ENCODING
        return error_response(DomainError(code, "; ".join(parts) or "invalid request"))
