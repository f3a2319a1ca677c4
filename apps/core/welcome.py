"""A one-time welcome on the home page for someone an app has just let in.

An app that joins a person to something (an organisation, by their address's domain) stashes
what to say here; the first home page shows it once. The session survives the sign-in that
follows an e-mail confirmation, so the person sees it on the page they land on.
"""

WELCOME_SESSION_KEY = "stratum_welcome"


def welcome_stash(request, *, organisation_name: str, organisation_url: str, domain: str) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[WELCOME_SESSION_KEY] = {
            "organisation_name": organisation_name,
            "organisation_url": organisation_url,
            "domain": domain,
        }


def welcome_pop(request) -> dict | None:
    return request.session.pop(WELCOME_SESSION_KEY, None)
