"""Who may call what: ``authorize``, the one check in front of every /api/v1 route.

With ``create_app(store, auth=True)``:

- every request needs ``Authorization: Bearer <token>``; none, or a token that is unknown
  or revoked, is 401 ``unauthorized`` (with ``WWW-Authenticate: Bearer``);
- the role a request needs follows from its method: GET and HEAD need viewer, any other
  method editor, except the POST routes in ``READ_ONLY_POSTS``, which only read (their
  question is too big for an address) and need viewer; the token routes
  (``/projects/{project}/tokens...``) need admin;
- the project comes from the route's path: ``{project}``, or the project of the run that
  ``{ref}`` or ``{run_id}`` names. A token scoped to another project, or a role too small,
  is 403 ``forbidden``. A project-scoped token asking for a run that does not exist gets
  the very same 403 as for a run of another project, so it cannot probe which runs exist;
- routes that belong to no project (``GET /projects``, blobs) need the role in some
  project. Any other route without a project is for server-wide tokens only: a route added
  later with a path parameter this module does not know fails closed, not open.

The check is a dependency of the /api/v1 router (``routes/__init__.py``), so a route
added to any module of that router is covered without a line of its own. The principal
is left on ``request.state`` for routes that filter by it (``GET /projects``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cairn.errors import Forbidden, InvalidInput, RunNotFound, Unauthorized
from cairn.server.deps import get_store
from cairn.store.store import Store
from cairn.store.tokens import Principal, Role

__all__ = [
    "PROJECTLESS_ROUTES",
    "READ_ONLY_POSTS",
    "authorize",
    "current_principal",
    "required_role",
]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An access token from `cairn token create`; clients read it from CAIRN_TOKEN.",
)

PROJECTLESS_ROUTES = frozenset({"/projects", "/blobs/{sha256}"})
"""Routes (under /api/v1) that belong to no project and are open to project-scoped tokens."""

READ_ONLY_POSTS = frozenset({"/projects/{project}/series/query"})
"""POST routes (under /api/v1) that change nothing: a viewer may call them."""

_PREFIX = "/api/v1"
_TOKEN_ROUTES = "/projects/{project}/tokens"
_READ_METHODS = frozenset({"GET", "HEAD"})
_RUN_PARAMS = ("ref", "run_id")


def required_role(method: str, route_path: str) -> Role:
    """The least role a request with ``method`` to the route at ``route_path`` (under
    /api/v1) needs.

    >>> required_role("GET", "/runs/{ref}").value
    'viewer'
    >>> required_role("GET", "/projects/{project}/tokens").value
    'admin'
    >>> required_role("POST", "/projects/{project}/series/query").value
    'viewer'
    """
    if route_path == _TOKEN_ROUTES or route_path.startswith(_TOKEN_ROUTES + "/"):
        return Role.ADMIN
    if method.upper() == "POST" and route_path in READ_ONLY_POSTS:
        return Role.VIEWER
    return Role.VIEWER if method.upper() in _READ_METHODS else Role.EDITOR


def authorize(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal | None:
    """Check the request's token against the route (see the module docstring); None when
    the server runs without auth. Raises Unauthorized and Forbidden."""
    if not request.app.state.auth:
        return None
    store = get_store(request)
    if credentials is None:
        raise Unauthorized(_missing_message(request))
    principal = store.authenticate(credentials.credentials)
    request.state.principal = principal
    route_path = _route_path(request)
    needed = required_role(request.method, route_path)
    params = request.path_params
    project = params.get("project")
    ref = next((params[name] for name in _RUN_PARAMS if name in params), None)
    if project is not None:
        if not principal.reaches(str(project)):
            raise Forbidden(f"{_who(principal)} does not reach project {project!r}; {_ASK}")
        _check_role(principal, needed, request, f"project {project!r}")
    if ref is not None:
        if principal.project is not None:
            _check_run(store, principal, str(ref), request.query_params.get("project"))
        _check_role(principal, needed, request, f"run {ref!r}")
    if project is None and ref is None:
        if route_path not in PROJECTLESS_ROUTES and principal.project is not None:
            raise Forbidden(f"{request.method} {route_path} needs a server-wide token; {_ASK}")
        _check_role(principal, needed, request, "some project")
    return principal


def _route_path(request: Request) -> str:
    """The matched route's path template below /api/v1 (``/runs/{ref}``). FastAPI keeps
    the template of the router that declared the route, with or without the prefix
    depending on its version; either way the prefix is cut off here."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        # No template to judge by: only a server-wide admin may pass (fail closed).
        return _TOKEN_ROUTES
    return path.removeprefix(_PREFIX)


def current_principal(request: Request) -> Principal | None:
    """The principal ``authorize`` found for this request; None when auth is off."""
    if not request.app.state.auth:
        return None
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        # A route outside the checked router asked: refuse rather than serve everything.
        raise Unauthorized("this route is not covered by the access check; report it as a bug")
    return principal


_ASK = "ask an admin for a token that does (`cairn token create`)"


def _who(principal: Principal) -> str:
    scope = "every project" if principal.project is None else f"project {principal.project!r}"
    return f"the token of {principal.user!r} ({principal.role.value} on {scope})"


def _missing_message(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header:
        return (
            "the Authorization header must read `Bearer <token>`; this server takes access "
            "tokens from `cairn token create` (clients read CAIRN_TOKEN)"
        )
    return (
        "this server needs an access token: send `Authorization: Bearer <token>` (clients "
        "read it from CAIRN_TOKEN); an admin creates one with `cairn token create`"
    )


def _check_role(principal: Principal, needed: Role, request: Request, where: str) -> None:
    if not principal.role.includes(needed):
        raise Forbidden(
            f"{_who(principal)} cannot {request.method} here: that needs the {needed.value} "
            f"role on {where}; {_ASK}"
        )


def _check_run(store: Store, principal: Principal, ref: str, project: str | None) -> None:
    """403 unless the run exists in the token's project, worded the same either way."""
    refused = Forbidden(f"{_who(principal)} does not reach run {ref!r}; {_ASK}")
    try:
        run = store.get_run(ref, project=project)
    except RunNotFound:
        raise refused from None
    except InvalidInput:
        # A key that names runs in several projects: the token's own one is the candidate.
        try:
            run = store.get_run(ref, project=principal.project)
        except (RunNotFound, InvalidInput):
            raise refused from None
    if not principal.reaches(run.project):
        raise refused
