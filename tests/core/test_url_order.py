"""portal/urls.py lists its busiest prefixes first (Django tries patterns in order). That is
only a speed-up while no later pattern could answer a path under those prefixes: then the
order decides nothing. This pins it, for the root patterns and the root-level include."""

from django.urls import URLResolver

from portal import urls

BUSIEST = ("search/", "api/v1/", "projects/", "datasets/")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == "":
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def test_the_busiest_prefixes_come_first_and_nothing_after_them_shares_one():
    roots = [str(pattern.pattern) for pattern in urls.urlpatterns]
    first = [route for route in roots if route in BUSIEST]
    assert first == list(BUSIEST)
    after = urls.urlpatterns[roots.index(BUSIEST[-1]) + 1 :]
    clashing = [route for route in _routes(after) if route.startswith(BUSIEST)]
    assert clashing == []


def test_the_root_level_include_is_checked_too():
    # The walk looks inside "" includes (their patterns sit at the root): a route added there
    # under one of the prefixes would be found.
    routes = list(_routes(urls.urlpatterns))
    assert "security/csp-report/" in routes and "account/security/" in routes
