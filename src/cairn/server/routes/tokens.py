"""Tokens of a project: list, create, revoke (admins of the project; see server/auth.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cairn.server.deps import StoreDep
from cairn.server.schemas import ErrorBody, TokenCreate, TokenCreated, TokenInfo, TokenList

__all__ = ["router"]

router = APIRouter(tags=["tokens"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
}
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the token's id")]


@router.get("/projects/{project}/tokens", responses=_ERRORS)
def list_tokens(
    project: str,
    store: StoreDep,
    include_revoked: Annotated[bool, Query(description="list revoked tokens too")] = False,
) -> TokenList:
    """The tokens scoped to ``project``, oldest first, without their secrets (server-wide
    tokens are listed by ``cairn token list``). 404 ``project_not_found``."""
    records = store.list_tokens(project=project, include_revoked=include_revoked)
    return TokenList(tokens=[TokenInfo.of(r) for r in records])


@router.post("/projects/{project}/tokens", status_code=201, responses=_ERRORS)
def create_token(project: str, body: TokenCreate, store: StoreDep) -> TokenCreated:
    """A new token for ``project``. The answer holds its secret, which the server does
    not keep: give it to its user, who sets it as ``CAIRN_TOKEN``."""
    new = store.create_token(
        user=body.user, role=body.role, project=project, description=body.description
    )
    return TokenCreated(token=new.secret, info=TokenInfo.of(new.record))


@router.delete("/projects/{project}/tokens/{token_id}", responses=_ERRORS)
def revoke_token(project: str, token_id: TokenId, store: StoreDep) -> TokenInfo:
    """Revoke one of the project's tokens; every request with it is refused from now on.
    404 ``token_not_found`` when the project has no token with that id."""
    return TokenInfo.of(store.revoke_token(token_id, project=project))
