"""HTTP: claim a guest name, or register / log in with a password; sign out."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.domain.errors import DomainError
from api.domain.identity import Identity, check_name
from api.transport.client import client_is_https
from api.transport.deps import (
    COOKIE,
    AccountsDep,
    LimitsDep,
    SignerDep,
    UserDep,
    ViewerDep,
    client_address,
    current_session,
    require_user,
)
from api.transport.schemas import PersonName, Session, WhoAmI, answers

router = APIRouter()


class SessionRequest(BaseModel):
    name: PersonName
    password: Annotated[
        str | None,
        Field(default=None, max_length=256, description="Registers the name (8+ characters), or logs in to it."),
    ]


class Rename(BaseModel):
    name: PersonName


def _session_response(request: Request, signer: SignerDep, who: Identity, status: int) -> JSONResponse:
    token, expires = signer.issue(who)
    body = {"token": token, "user_id": who.user_id, "name": who.name, "kind": who.kind, "expires": expires}
    response = JSONResponse(body, status_code=status)
    # For EventSource and WebSocket, which cannot send an Authorization header. Reads only: a
    # cookie never authorises sending, so cross-site requests cannot speak for anyone.
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(0, expires - int(time.time())),
        path="/api",
        httponly=True,
        samesite="strict",
        secure=client_is_https(request),
    )
    return response


@router.post(
    "/api/session",
    status_code=201,
    response_model=None,
    responses=answers({200: Session, 201: Session}, 400, 401, 409, 413, 415, 422, 429, 503),
)
async def create_session(
    body: SessionRequest, request: Request, accounts: AccountsDep, limits: LimitsDep, signer: SignerDep
) -> JSONResponse:
    name = check_name(body.name)
    await limits.sign_in(client_address(request))
    current = current_session(request, signer)
    if body.password is None:
        who, new = await accounts.claim_guest(name, current)
        return _session_response(request, signer, who, 201 if new else 200)
    who, created = await accounts.sign_in(name, body.password, current)
    return _session_response(request, signer, who, 201 if created else 200)


@router.get("/api/session", response_model=None, responses=answers({200: WhoAmI}, 401, 503))
async def whoami(who: ViewerDep, accounts: AccountsDep) -> dict[str, str]:
    me = await accounts.current(require_user(who))
    return {"user_id": me.user_id, "name": me.name, "kind": me.kind}


@router.patch("/api/session", response_model=None, responses=answers({200: Session}, 400, 401, 409, 413, 415, 422, 503))
async def rename(
    body: Rename, request: Request, who: UserDep, accounts: AccountsDep, signer: SignerDep
) -> JSONResponse:
    """A new display name; the account id, and so every message, membership and read, stays."""
    return _session_response(request, signer, await accounts.rename(who, body.name), 200)


@router.delete("/api/session", status_code=204, responses=answers({}, 503))
async def end_session(request: Request, signer: SignerDep, accounts: AccountsDep) -> Response:
    """Ends this session (the Bearer token's, else the cookie's) and only this one."""
    who = current_session(request, signer)
    response = Response(status_code=204)
    if who is None:
        return response
    await accounts.end_session(who)
    cookie = request.cookies.get(COOKIE)
    cookie_who = None
    if cookie:
        try:
            cookie_who = signer.verify(cookie)
        except DomainError:
            cookie_who = None
    if cookie_who is None or cookie_who.sid == who.sid:
        response.delete_cookie(COOKIE, path="/api", secure=client_is_https(request), httponly=True, samesite="strict")
    return response
