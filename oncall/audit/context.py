"""Who is changing things, and through what: set by the middleware for web, API and admin
requests, by manage.py for commands, and by anything else (a single sign-on group sync) with
`audit_context`. Imports no model, so manage.py can use it before Django is set up."""
import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

SYSTEM = "system"


@dataclass(frozen=True)
class Context:
    via: str
    request: object = None  # the HttpRequest: DRF sets its .user once a token is authenticated
    user: object = None


_context: contextvars.ContextVar[Context | None] = contextvars.ContextVar("audit_context", default=None)


@contextmanager
def audit_context(*, via: str, user=None, request=None):
    """Everything saved inside is recorded as done by `user` through `via`."""
    token = _context.set(Context(via=via, request=request, user=user))
    try:
        yield
    finally:
        _context.reset(token)


def who() -> tuple[object, str]:
    context = _context.get()
    if context is None:
        return None, SYSTEM
    user = context.user
    if user is None and context.request is not None:
        user = getattr(context.request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return user, context.via


def current_via() -> str:
    return who()[1]
