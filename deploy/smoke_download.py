"""The protected-download part of deploy/smoke.sh: a controlled dataset file that a consortium
member may not download until a data access committee approves the request, and then receives
from nginx through X-Accel-Redirect (gunicorn sends headers only).

The people, organisations and project come from the test suite's factories (the same personas
as tests/conftest.py); the dataset's policy, the file, the request and its approval go through
the services of apps.datasets and apps.access, so the smoke exercises the real code paths.
"""

import http.cookiejar
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

CONTENT = b"participant,eosinophils\nP001,0.41\nP002,0.77\n"


@dataclass
class World:
    download_url: str
    requester_email: str
    outsider_email: str
    password: str
    access_request: object
    decider: object
    file_size: int


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to check, not to follow


class Browser:
    """Cookies and CSRF like a browser, over the smoke's TLS listener."""

    def __init__(self, base_url: str, context: ssl.SSLContext):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect(),
        )

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # base_url is the smoke's own https://localhost listener, never user input.
        req = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310
        req.add_header("Referer", self.base_url + path)
        try:
            with self.opener.open(req, timeout=20) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def log_in(self, email: str, password: str) -> None:
        status, _, page = self.request("/accounts/login/")
        assert status == 200, f"login page answered {status}"
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _, _ = self.request(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": password}
        )
        assert status == 302, f"login as {email} answered {status}, not a redirect"
        assert any(c.name.endswith("sessionid") for c in self.jar), "no session cookie"


def build_world() -> World:
    """A controlled dataset with one file and a submitted access request awaiting a decision."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from apps.access.services import (
        access_request_create,
        access_request_submit,
        data_use_policy_set,
    )
    from apps.datasets.services import dataset_file_add
    from apps.organisations.models import AffiliationRole, OrganisationKind
    from apps.projects.models import MembershipRole, PartnerRole
    from tests.access.factories import (
        CommitteeFactory,
        CommitteeMemberFactory,
        ControlledDatasetFactory,
    )
    from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
    from tests.organisations.factories import AffiliationFactory, OrganisationFactory
    from tests.projects.factories import (
        DiseaseAreaFactory,
        MembershipFactory,
        PartnerFactory,
        ProjectFactory,
    )

    run = uuid.uuid4().hex[:8]
    lead = OrganisationFactory(name=f"Smoke Pharma {run}", kind=OrganisationKind.PHARMA)
    university = OrganisationFactory(
        name=f"Smoke University {run}", kind=OrganisationKind.UNIVERSITY
    )
    nhs = OrganisationFactory(name=f"Smoke NHS Trust {run}", kind=OrganisationKind.NHS)
    elsewhere = OrganisationFactory(
        name=f"Smoke Diagnostics {run}", kind=OrganisationKind.DIAGNOSTICS
    )
    project = ProjectFactory(title=f"Smoke stratification {run}", acronym=f"SMK{run[:4].upper()}")
    for organisation, role in (
        (lead, PartnerRole.LEAD),
        (university, PartnerRole.PARTNER),
        (nhs, PartnerRole.PARTNER),
    ):
        PartnerFactory(project=project, organisation=organisation, role=role)

    def person(email, organisation, **membership):
        user = UserFactory(email=email)
        AffiliationFactory(
            user=user,
            organisation=organisation,
            role=membership.pop("affiliation", AffiliationRole.MEMBER),
        )
        if membership:
            MembershipFactory(project=project, user=user, organisation=organisation, **membership)
        return user

    coordinator = person(
        f"coordinator-{run}@pharma.test",
        lead,
        role=MembershipRole.COORDINATOR,
        affiliation=AffiliationRole.ADMIN,
    )
    requester = person(
        f"researcher-{run}@university.test", university, role=MembershipRole.CONTRIBUTOR
    )
    decider = person(f"reviewer-{run}@nhs.test", nhs)
    outsider = person(f"outsider-{run}@diagnostics.test", elsewhere)
    CommitteeMemberFactory(
        committee=CommitteeFactory(project=project), user=decider, organisation=nhs, is_chair=True
    )
    # Coordinators and committee members must have a second factor in production (MFA by role).
    for privileged in (coordinator, decider):
        TOTP.activate(privileged, generate_totp_secret())

    respiratory = DiseaseAreaFactory(name=f"Respiratory {run}", icd10_codes=["J44-J45"])
    asthma = DiseaseAreaFactory(name=f"Asthma {run}", icd10_codes=["J45"], parent=respiratory)
    dataset = ControlledDatasetFactory(
        project=project, steward_organisation=lead, title=f"Sputum transcriptomics {run}"
    )
    data_use_policy_set(
        dataset=dataset,
        permission="DS",
        permission_value=[respiratory.pk],
        modifiers={"NCU": None, "PUB": None},
        actor=coordinator,
    )
    upload = SimpleUploadedFile("sputum.csv", CONTENT, content_type="text/csv")
    stored = dataset_file_add(dataset=dataset, actor=coordinator, upload=upload)

    draft = access_request_create(
        dataset=dataset,
        requester=requester,
        organisation=university,
        data={
            "purpose": "Validate an eosinophil signature in asthma.",
            "diseases": [asthma],
            "attestations": ["PUB"],
        },
    )
    submitted = access_request_submit(access_request=draft, actor=requester)
    assert submitted.status == "in_review", (
        f"request is {submitted.status}: {submitted.decision_reason}"
    )
    url = reverse("datasets:file_download", kwargs={"pk": dataset.pk, "file_pk": stored.pk})
    return World(
        url, requester.email, outsider.email, DEFAULT_PASSWORD, submitted, decider, stored.size
    )


def approve(world: World) -> None:
    from apps.access.services import access_request_approve

    approved = access_request_approve(access_request=world.access_request, actor=world.decider)
    assert approved.status == "approved", f"request is {approved.status}"
