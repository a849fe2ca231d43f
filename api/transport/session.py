"""HTTP: claim a guest name, or register / log in with a password; sign out."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.domain.identity import Identity, check_name
from api.transport.deps import COOKIE, AccountsDep, SignerDep, current_session, require_user, token_identity

router = APIRouter()


class SessionRequest(BaseModel):
    name: str
    password: Annotated[str | None, Field(default=None, max_length=256)]


def _session_response(request: Request, signer: SignerDep, who: Identity, status: int) -> JSONResponse:
    token, expires = signer.issue(who)
    response = JSONResponse(
        {"token": token, "name": who.name, "kind": who.kind, "expires": expires}, status_code=status
    )
    # For EventSource and WebSocket, which cannot send an Authorization header. Reads only: a
    # cookie never authorises sending, so cross-site requests cannot speak for anyone.
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(0, expires - int(time.time())),
        path="/api",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/api/session")
async def create_session(
    body: SessionRequest, request: Request, accounts: AccountsDep, signer: SignerDep
) -> JSONResponse:
    name = check_name(body.name)
    current = current_session(request, signer)
    if body.password is None:
        who = await accounts.claim_guest(name, current)
        return _session_response(request, signer, who, 201 if not current or current.sid != who.sid else 200)
    who, created = await accounts.sign_in(name, body.password, current)
    return _session_response(request, signer, who, 201 if created else 200)


@router.get("/api/session")
async def whoami(request: Request, signer: SignerDep) -> dict[str, str]:
    who = require_user(token_identity(request, signer, allow_cookie=True))
    return {"name": who.name, "kind": who.kind}


@router.delete("/api/session", status_code=204)
async def end_session(request: Request, signer: SignerDep, accounts: AccountsDep) -> Response:
    who = current_session(request, signer)
    if who is not None and who.kind == "guest":
        await accounts.release(who)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/api")
    return response
