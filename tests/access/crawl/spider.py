"""Walk every URL pattern and API route as one person, with the read guard strict.

The URLs come from three places, so a page nobody links to is still visited:
1. every pattern of the URL resolver, its parameters filled with the world's objects (each
   object of the kind the path names, or every object where the path does not say);
2. every GET operation of the OpenAPI schema, each query parameter filled with canary words,
   the ids of hidden objects or an early timestamp (filters, search, `updated_since`);
3. links, `hx-get` fragments and GET forms found in the pages on the way (forms are submitted
   with canary words in their text boxes and hidden objects' ids in their choices).
"""

import json
import re
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlencode, urljoin, urlsplit

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_htmx import middleware as htmx_middleware

SKIP_PREFIXES = (
    "/admin/",  # the staff-only admin reads as the system by design (apps/core/admin_site.py)
    "/static/",
    "/media/",
    "/accounts/logout/",  # would end the crawl's own session
    "/account/security/sign-out-everywhere/",
)
SKIP_PATTERN_WORDS = ("saml", "oidc", "3rdparty", "social/")
EARLY = "2000-01-01T00:00:00Z"
MAX_URLS = 2500

# Which kind of object a path parameter names, by the path around it.
PATH_KINDS = (
    ("datasets/<uuid:pk>/files/<uuid:file_pk>", {"pk": "dataset", "file_pk": "dataset_file"}),
    ("datasets/project/<uuid:project_pk>", {"project_pk": "project"}),
    ("protocols/project/<uuid:project_pk>", {"project_pk": "project"}),
    ("datasets/<uuid:pk>", {"pk": "dataset"}),
    ("audit/datasets/<uuid:pk>", {"pk": "dataset"}),
    ("access/datasets/<uuid:pk>", {"pk": "dataset"}),
    ("protocols/<uuid:pk>", {"pk": "protocol"}),
    ("access/requests/<uuid:pk>", {"pk": "access_request"}),
    ("access/grants/<uuid:pk>", {"pk": "grant"}),
    ("audit/people/<uuid:pk>", {"pk": "user"}),
    ("security/people/<uuid:pk>", {"pk": "user"}),
    ("<uuid:milestone_id>", {"milestone_id": "milestone"}),
    ("<uuid:deliverable_id>", {"deliverable_id": "deliverable"}),
    ("<uuid:notification_id>", {"notification_id": "notification"}),
    ("members/<uuid:member_pk>", {"member_pk": "committee_member"}),
    ("projects/<slug:slug>/members/<uuid:pk>", {"pk": "membership"}),
    ("projects/<slug:slug>/partners/<uuid:pk>", {"pk": "partner"}),
    ("projects/<slug:slug>/biomarkers/<uuid:pk>", {"pk": "biomarker"}),
    ("projects/<slug:slug>/work-packages/<uuid:pk>", {"pk": "work_package"}),
    ("projects/invitations/<uuid:pk>", {"pk": "partner"}),
)
# The shared kinds' API resources are added from the registry (`_api_kinds`).
API_KINDS = {
    "projects": "project",
    "milestones": "milestone",
    "deliverables": "deliverable",
    "access-requests": "access_request",
    "grants": "grant",
    "notifications": "notification",
    "organisations": "organisation",
    "disease-areas": "disease_area",
}


@dataclass
class Pools:
    """Values to put into URLs: ids by kind, slugs, the canary words."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    slugs: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    def all_ids(self) -> list[str]:
        return sorted({i for values in self.ids.values() for i in values})


NONSENSE = "zzqnothingzz"


@dataclass
class Visit:
    url: str
    status: int
    body: str
    word: str | None = None  # the canary word this URL asks about, if any
    baseline: str = ""  # the same URL asking about NONSENSE instead, when `word` is set


def url_patterns() -> list[str]:
    """Every route as a path template with Django converters (`<uuid:pk>`) or regex groups."""

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    return sorted(set(walk(get_resolver(), "/")))


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def pool_name(resource: str) -> str:
    """The pool of a shared kind's part ("analysis-version" → "analysis_version")."""
    return resource.replace("-", "_")


@cache
def _shared_kind_paths() -> tuple[tuple[str, dict], ...]:
    """The site paths of the shared kinds (`apps.core.kinds`), from each kind's detail URL:
    "analyses/<uuid:pk>" names an analysis, and so on, for every declared kind."""
    from django.urls import reverse

    from apps.core.kinds import shared_kinds

    placeholder = "00000000-0000-0000-0000-000000000000"
    paths = []
    for kind in shared_kinds():
        prefix = reverse(kind.detail_url, kwargs={"pk": placeholder}).split(placeholder)[0]
        paths.append((f"{prefix.strip('/')}/<uuid:pk>", {"pk": kind.name}))
    return tuple(paths)


@cache
def _api_kinds() -> dict[str, str]:
    """API_KINDS and the shared kinds' resources, asked once per process (`_kind_for` runs for
    every path parameter of every route)."""
    from apps.core.kinds import shared_parts

    return {**API_KINDS, **{part.api_prefix: pool_name(part.resource) for part in shared_parts()}}


def _kind_for(template: str, name: str) -> str | None:
    for fragment, kinds in PATH_KINDS + _shared_kind_paths():
        if fragment in template and name in kinds:
            return kinds[name]
    if name == "project_pk":
        return "project"
    api = re.search(r"api/v1/\^?([a-z-]+)/", template)
    if api and name == "id":
        return _api_kinds().get(api.group(1))
    return None


def _values(template: str, converter: str, name: str, pools: Pools) -> list[str]:
    if converter == "int" or name == "number":
        return ["1", "2"]
    if converter == "slug" or name in {"slug", "organization_slug"}:
        return pools.slugs
    if converter in {"str", "path"} or name in {"decision", "answer", "action", "transition"}:
        return ["approve", "x"]
    kind = _kind_for(template, name)
    return pools.ids.get(kind, []) if kind else pools.all_ids()


def expand(template: str, pools: Pools) -> list[str]:
    """Concrete URLs for one route template (at most a few hundred)."""
    path = template.replace("^", "").replace("$", "").replace("\\", "")
    names = []
    for match in _CONVERTER.finditer(path):
        names.append((match.group(0), match.group(1) or "str", match.group(2)))
    for match in _REGEX_GROUP.finditer(path):
        names.append((match.group(0), "uuid" if match.group(1) == "id" else "str", match.group(1)))
    if not names:
        return [path]
    choices = [_values(template, conv, name, pools) for _, conv, name in names]
    urls = []
    for combo in product(*choices):
        url = path
        for (token, _, _), value in zip(names, combo, strict=True):
            url = url.replace(token, value, 1)
        urls.append(url)
        if len(urls) >= 300:
            break
    return urls


class _PageParser(HTMLParser):
    """Links, htmx GETs and GET forms (with their fields) of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get", "data-url", "data-suggest-url"):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = (
                {"action": attrs.get("action") or "", "fields": []} if method == "get" else None
            )
            if self._form is not None:
                self.forms.append(self._form)
        elif (
            self._form is not None and tag in {"input", "select", "textarea"} and attrs.get("name")
        ):
            kind = "choice" if tag == "select" else (attrs.get("type") or "text")
            self._form["fields"].append((attrs["name"], kind))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _same_site(base: str, link: str) -> str | None:
    url = urljoin(base, link)
    parts = urlsplit(url)
    if parts.scheme and parts.netloc not in {"", "testserver"}:
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _form_urls(base: str, form: dict, pools: Pools, hidden_ids: list[str]) -> list[str]:
    action = _same_site(base, form["action"] or base)
    if action is None:
        return []
    action = action.split("?")[0]
    urls = []
    for name, kind in form["fields"]:
        if kind in {"hidden", "submit", "checkbox", "radio", "button"}:
            continue
        values = pools.words if kind in {"text", "search"} else hidden_ids
        if kind in {"date", "datetime-local"}:
            values = ["2000-01-01"]
        for value in values:
            urls.append(f"{action}?{urlencode({name: value})}")
    return urls


def schema_urls(client: Client, pools: Pools, hidden_ids: list[str]) -> list[str]:
    """Every GET operation of the served OpenAPI schema, its query parameters probed one by
    one with canary words, hidden ids and an early timestamp."""
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    urls = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        for concrete in expand(
            path.replace("{id}", "<uuid:id>").replace("/api/v1/", "/api/v1/^"), pools
        ):
            concrete = concrete.replace("/api/v1/^", "/api/v1/")
            urls.append(concrete)
            for parameter in get.get("parameters", []):
                if parameter.get("in") != "query" or parameter["name"] in {"cursor", "page_size"}:
                    continue
                param_schema = parameter.get("schema", {})
                if param_schema.get("format") == "date-time":
                    values = [EARLY]
                elif param_schema.get("format") == "uuid" or parameter["name"] in {
                    "project",
                    "organisation",
                    "dataset",
                    "protocol",
                }:
                    values = hidden_ids
                else:
                    values = pools.words
                urls += [f"{concrete}?{urlencode({parameter['name']: v})}" for v in values]
    return urls


class _WatchedHtmx(htmx_middleware.HtmxDetails):
    """`request.htmx` that remembers whether the view (or its template) asked about it: only
    then can an htmx request of the same URL answer differently (app code reads the header
    through `request.htmx` alone: tests/architecture/test_htmx_header.py)."""

    consulted = False

    # Every question (`bool(request.htmx)`, `.target`, `.boosted`…) reads a header through here.
    def _get_header_value(self, name: str) -> str | None:
        self.consulted = True
        return super()._get_header_value(name)


def _asked_about_htmx(response) -> bool:
    details = getattr(getattr(response, "wsgi_request", None), "htmx", None)
    vary = response.get("Vary", "")
    return bool(getattr(details, "consulted", True)) or "hx-" in vary.lower()


def crawl(client: Client, pools: Pools, hidden_ids: list[str]) -> list[Visit]:
    """Visit every route, schema operation and discovered link once; return what was seen."""
    real_details = htmx_middleware.HtmxDetails
    htmx_middleware.HtmxDetails = _WatchedHtmx
    try:
        return _crawl(client, pools, hidden_ids)
    finally:
        htmx_middleware.HtmxDetails = real_details


def _crawl(client: Client, pools: Pools, hidden_ids: list[str]) -> list[Visit]:
    queue = deque()
    seen: set[str] = set()
    baselines: dict[str, str] = {}

    def push(url: str):
        if url in seen or url.startswith(SKIP_PREFIXES) or len(seen) >= MAX_URLS:
            return
        seen.add(url)
        queue.append(url)

    for template in url_patterns():
        if any(word in template for word in SKIP_PATTERN_WORDS):
            continue
        for url in expand(template, pools):
            push(url)
            if url.rstrip("/").count("/") <= 2 or "suggest" in url:  # lists and type-aheads
                for word in pools.words:
                    push(f"{url}?{urlencode({'q': word})}")
    for url in schema_urls(client, pools, hidden_ids):
        push(url)

    visits = []
    while queue:
        url = queue.popleft()
        visit, response = _visit(client, url, pools, baselines)
        visits.append(visit)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _PageParser()
        parser.feed(visit.body)
        for link in parser.links:
            target = _same_site(url, link)
            if target:
                push(target)
        for form in parser.forms:
            for target in _form_urls(url, form, pools, hidden_ids):
                push(target)
        # An htmx request of the same URL may answer with a fragment instead of the page.
        if _asked_about_htmx(response):
            visits.append(_visit(client, url, pools, baselines, htmx=True)[0])
    return visits


def _visit(client: Client, url: str, pools: Pools, baselines: dict, *, htmx: bool = False):
    headers = {"HTTP_ACCEPT": "text/html,application/json;q=0.9,*/*;q=0.8"}
    if htmx:
        headers["HTTP_HX_REQUEST"] = "true"
    response = client.get(url, **headers)
    visit = Visit(url + (" (htmx)" if htmx else ""), response.status_code, _text_of(response))
    word = next((w for w in pools.words if w in urlsplit(url).query), None)
    if word is not None:
        # Asked about a word, a page may echo it ("no results for …"): what counts is what it
        # shows beyond what it shows for a word that matches nothing.
        # Every word asked of one URL shares that baseline: fetch it once.
        visit.word = word
        baseline_url = url.replace(word, NONSENSE)
        key = f"{baseline_url} htmx={htmx}"
        if key not in baselines:
            baselines[key] = _text_of(client.get(baseline_url, **headers))
        visit.baseline = baselines[key]
    return visit, response


def _text_of(response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return headers + "\n" + content.decode("utf-8", errors="replace")
