import pytest

from apps.audit.models import AuditEvent
from apps.diseases.models import DiseaseArea
from apps.projects.models import Project
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_anyone_can_browse_the_taxonomy_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        response = client.get("/disease-areas/")
    body = response.content.decode()
    assert "Non-small cell lung cancer" in body and "C00-D48" in body
    assert "Add a disease area" not in body


def test_staff_add_an_area_with_normalised_codes(client, staff):
    client.force_login(staff)
    response = client.post(
        "/disease-areas/new/",
        {"name": "Bronchiectasis", "slug": "bronchiectasis", "icd10_codes": "j47\nJ449"},
    )
    assert response.status_code == 302
    area = DiseaseArea.objects.get(slug="bronchiectasis")
    assert area.icd10_codes == ["J47", "J44.9"]
    assert AuditEvent.objects.filter(action="disease_area.create").exists()


def test_invalid_icd10_code_is_a_form_error_naming_the_code(client, staff):
    client.force_login(staff)
    response = client.post(
        "/disease-areas/new/",
        {"name": "Mystery", "slug": "mystery", "icd10_codes": "J45, Q99.9Z, M14-M05"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Q99.9Z" in body and "M14-M05" in body
    assert not DiseaseArea.objects.filter(slug="mystery").exists()


def test_duplicate_name_is_a_form_error(client, staff):
    client.force_login(staff)
    response = client.post(
        "/disease-areas/new/", {"name": "asthma", "slug": "asthma-2", "icd10_codes": "J45"}
    )
    assert response.status_code == 400


def test_renaming_an_area_reaches_project_search(client, staff):
    asthma = DiseaseArea.objects.get(slug="asthma")
    project = ProjectFactory()
    project.disease_areas.add(asthma)
    client.force_login(staff)
    response = client.post(
        "/disease-areas/asthma/edit/",
        {
            "name": "Asthma (all forms)",
            "slug": "asthma",
            "icd10_codes": "J45",
            "parent": asthma.parent_id,
        },
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).disease_area_names == "Asthma (all forms)"


def test_an_area_cannot_be_moved_below_its_own_child(client, staff):
    cancer = DiseaseArea.objects.get(slug="cancer")
    child = DiseaseArea.objects.get(slug="lung-cancer")
    client.force_login(staff)
    response = client.post(
        "/disease-areas/cancer/edit/",
        {"name": "Cancer", "slug": "cancer", "icd10_codes": "C00-D48", "parent": child.pk},
    )
    assert response.status_code == 400
    assert DiseaseArea.objects.get(pk=cancer.pk).parent is None


def test_only_staff_curate(client, outsider):
    assert client.get("/disease-areas/new/").status_code == 302
    client.force_login(outsider)
    assert client.get("/disease-areas/new/").status_code == 403
    assert client.post("/disease-areas/asthma/edit/", {"name": "X"}).status_code == 403


def test_admin_changes_go_through_the_audited_service(client, staff):
    client.force_login(staff)
    response = client.post(
        "/admin/diseases/diseasearea/add/",
        {"name": "Gout", "slug": "gout", "icd10_codes": '["m10"]', "description": ""},
    )
    assert response.status_code == 302
    assert DiseaseArea.objects.get(slug="gout").icd10_codes == ["M10"]
    assert AuditEvent.objects.filter(action="disease_area.create").exists()


def test_admin_refuses_an_invalid_code_naming_it(client, staff):
    client.force_login(staff)
    response = client.post(
        "/admin/diseases/diseasearea/add/",
        {"name": "Gout", "slug": "gout", "icd10_codes": '["M10", "ZZ9"]', "description": ""},
    )
    assert response.status_code == 200
    assert "ZZ9" in response.content.decode()
    assert not DiseaseArea.objects.filter(slug="gout").exists()
