"""What a use case can refuse, in domain words. Only web/ turns these into status codes.

ServiceError
├── NotFound            no such case / task / instance / process (404)
├── Unauthenticated     no valid credentials (401)
├── Forbidden           the actor may not do this (403)
├── Conflict            the thing changed under you: stale task, lost race, already claimed (409)
├── InvalidInput        the data is wrong; carries per-field errors (422)
└── DeploymentRejected  the files did not validate; carries the report (422)
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    pass


class NotFound(ServiceError):
    pass


class Unauthenticated(ServiceError):
    pass


class Forbidden(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class InvalidInput(ServiceError):
    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class DeploymentRejected(ServiceError):
    def __init__(self, report: dict[str, Any], message: str = "the process files did not validate") -> None:
        super().__init__(message)
        self.report = report
