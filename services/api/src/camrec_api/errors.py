"""Errors as HTTP: the status is the error code's number from the contracts (the same number
the micro error header carries, so NATS and HTTP callers see one mapping), and every error
body has one shape: ``{"code": "...", "message": "..."}`` (the contracts' ErrorReply)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from camrec_contracts.errors import CamrecError, ErrorCode, ErrorReply

STATUS_CODES = {code.status: code for code in ErrorCode}

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorReply} for status in sorted(STATUS_CODES)
}


def error_response(code: ErrorCode, message: str) -> JSONResponse:
    body = ErrorReply(code=code, message=message).model_dump(mode="json")
    return JSONResponse(body, status_code=code.status)


def install_error_handlers(app: FastAPI) -> None:
    async def on_service_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, CamrecError)
        response = error_response(error.code, error.message)
        retry_after_s = getattr(error, "retry_after_s", None)  # auth.routes.TooManyLogins
        if retry_after_s is not None:
            response.headers["Retry-After"] = str(retry_after_s)
        return response

    async def on_invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        parts = []
        for item in error.errors()[:3]:
            where = ".".join(str(p) for p in item["loc"] if p != "body") or "body"
            parts.append(f"{where}: {item['msg']}")
        return error_response(ErrorCode.INVALID_REQUEST, "; ".join(parts) or "invalid request")

    async def on_http(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 400:
            # The framework's 400 is a body it could not read (not UTF-8, say): an invalid
            # request like a body that isn't JSON, not our 400 (limit_reached).
            return error_response(ErrorCode.INVALID_REQUEST, str(error.detail))
        code = STATUS_CODES.get(error.status_code, ErrorCode.INVALID_REQUEST)
        response = error_response(code, str(error.detail))
        response.status_code = error.status_code
        return response

    app.add_exception_handler(CamrecError, on_service_error)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
