"""Saving and deleting a list's saved filter from its page (the inbox, the instance list).

The buttons post the list's current query string in a hidden `query` field; after the service has
saved or deleted, the user goes back to the same list with a flash message saying how it went.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.responses import Response

from services.errors import Conflict, InvalidInput
from web.flash import flash
from web.pages.common import redirect
from web.templating import Templates

QUERY_MAX = 4000  # the `query` form field's max_length
Form = TypeVar("Form")


def form_in(query: str, parse: Callable[[Mapping[str, str]], Form]) -> Form:
    """The filter form a posted `query` field stands for (`parse` is the list's parse_form)."""
    return parse(dict(parse_qsl(query[:QUERY_MAX])))


def save_and_return(request: Request, templates: Templates, back: str, save: Callable[[], object]) -> Response:
    """Run `save` (the service call) and go back to `back`, flashing the outcome."""
    response = redirect(back)
    try:
        save()
    except InvalidInput as exc:
        reason = "; ".join(exc.errors.values())
        message = templates.tr(request, "The filter was not saved: %(reason)s", reason=reason)
        flash(request, response, message, "error")
        return response
    except Conflict:
        flash(request, response, templates.tr(request, "You already have a filter with that name."), "error")
        return response
    flash(request, response, templates.tr(request, "Filter saved."))
    return response


def deleted_and_return(request: Request, templates: Templates, back: str) -> Response:
    """Back to `back` after the filter is deleted."""
    response = redirect(back)
    flash(request, response, templates.tr(request, "Filter deleted."), "info")
    return response
