"""Every exception Cairn raises.

    CairnError
    ├── InvalidInput (ValueError)          400 invalid_input
    │   ├── InvalidPath                    400 invalid_path
    │   ├── TypeClash                      400 type_clash
    │   ├── UnsupportedValue               400 unsupported_value
    │   └── QuerySyntaxError               400 query_syntax
    ├── ConfigError                        400 config_error
    ├── AuthError                          401 auth_error
    │   ├── Unauthorized                   401 unauthorized
    │   └── Forbidden                      403 forbidden
    ├── NotFound (LookupError)             404 not_found
    │   ├── ProjectNotFound                404 project_not_found
    │   ├── RunNotFound                    404 run_not_found
    │   ├── FieldNotFound                  404 field_not_found
    │   ├── ArtifactNotFound               404 artifact_not_found
    │   ├── TokenNotFound                  404 token_not_found
    │   └── ViewNotFound                   404 view_not_found
    ├── Conflict                           409 conflict
    │   ├── AlreadyExists                  409 already_exists
    │   └── RunFinished                    409 run_finished
    ├── StoreError                         500 store_error
    │   ├── SchemaOutdated                 500 schema_outdated
    │   └── IntegrityError                 500 integrity_error
    └── BackendError                       503 backend_error

Each class carries an HTTP ``status`` and a stable ``code`` so that the same class can be
rebuilt on the far side of an HTTP connection.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlreadyExists",
    "ArtifactNotFound",
    "AuthError",
    "BackendError",
    "CairnError",
    "ConfigError",
    "Conflict",
    "FieldNotFound",
    "Forbidden",
    "IntegrityError",
    "InvalidInput",
    "InvalidPath",
    "NotFound",
    "ProjectNotFound",
    "QuerySyntaxError",
    "RunFinished",
    "RunNotFound",
    "SchemaOutdated",
    "StoreError",
    "TokenNotFound",
    "TypeClash",
    "Unauthorized",
    "UnsupportedValue",
    "ViewNotFound",
]


class CairnError(Exception):
    """Base of every error Cairn raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "cairn_error"


class InvalidInput(CairnError, ValueError):
    """The caller passed something Cairn cannot accept; the message says what and how to fix it."""

    status = 400
    code = "invalid_input"


class InvalidPath(InvalidInput):
    """A field or series path is malformed (empty segment, too long, bad characters)."""

    code = "invalid_path"


class TypeClash(InvalidInput):
    """A value of one kind was written to a path that already holds another kind."""

    code = "type_clash"


class UnsupportedValue(InvalidInput):
    """A value has a type Cairn cannot store."""

    code = "unsupported_value"


class QuerySyntaxError(InvalidInput):
    """A run filter or sort is malformed; ``position`` points at the offending character."""

    code = "query_syntax"

    def __init__(self, message: str, *, text: str = "", position: int = 0) -> None:
        self.text = text
        self.position = position
        if text:
            caret = " " * position + "^"
            message = f"{message} at position {position}\n  {text}\n  {caret}"
        super().__init__(message)


class ConfigError(CairnError):
    """A setting or argument combination is invalid."""

    status = 400
    code = "config_error"


class AuthError(CairnError):
    """The team server refused the request's credentials."""

    status = 401
    code = "auth_error"


class Unauthorized(AuthError):
    """No access token, or one the server does not know or has revoked."""

    code = "unauthorized"


class Forbidden(AuthError):
    """The token is valid but does not reach that project, or its role is too small."""

    status = 403
    code = "forbidden"


class NotFound(CairnError, LookupError):
    """Something asked for by name or id does not exist."""

    status = 404
    code = "not_found"


class ProjectNotFound(NotFound):
    code = "project_not_found"


class RunNotFound(NotFound):
    code = "run_not_found"


class FieldNotFound(NotFound):
    code = "field_not_found"


class ArtifactNotFound(NotFound):
    code = "artifact_not_found"


class TokenNotFound(NotFound):
    code = "token_not_found"


class ViewNotFound(NotFound):
    """No saved view of the dashboard with that id in that project."""

    code = "view_not_found"


class Conflict(CairnError):
    """The request clashes with the current state."""

    status = 409
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class RunFinished(Conflict):
    """A write was attempted on a run that has been stopped."""

    code = "run_finished"


class StoreError(CairnError):
    """The experiment database failed or holds something unexpected."""

    status = 500
    code = "store_error"


class SchemaOutdated(StoreError):
    """The database schema is older than this version of Cairn; run ``cairn store upgrade``."""

    code = "schema_outdated"


class IntegrityError(StoreError):
    """Stored bytes do not match their recorded checksum."""

    code = "integrity_error"


class BackendError(CairnError):
    """The backend could not be reached; retryable."""

    status = 503
    code = "backend_error"
