"""Errors the access services raise besides `ValidationError` (bad input)."""


class TransitionError(Exception):
    """The object is no longer in a state that allows this change (e.g. someone else decided
    the request a moment ago). Views show the message and reload; nothing was changed."""


class NotAllowed(Exception):
    """The actor may not make this change (the policy refused). Views answer 403."""
