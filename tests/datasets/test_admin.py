"""The admin shows datasets, files and DUO terms to staff, read-only."""

from django.urls import reverse


def test_staff_browse_datasets_and_files_in_the_admin(client, staff, consortium_file):
    client.force_login(staff)
    dataset = consortium_file.dataset
    for url in (
        reverse("admin:datasets_dataset_changelist"),
        reverse("admin:datasets_dataset_change", args=[dataset.pk]),
        reverse("admin:datasets_datasetfile_changelist"),
        reverse("admin:datasets_datasetfile_change", args=[consortium_file.pk]),
        reverse("admin:datasets_duoterm_changelist"),
        reverse("admin:documents_protocol_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="_save"' not in response.content.decode()


def test_admin_changes_nothing(client, staff, consortium_dataset):
    client.force_login(staff)
    url = reverse("admin:datasets_dataset_change", args=[consortium_dataset.pk])
    assert (
        client.post(url, {"title": "Edited in admin", "access_tier": "public"}).status_code == 403
    )
    consortium_dataset.refresh_from_db()
    assert consortium_dataset.title == "RESPIRE sputum cohort"
    assert client.get(reverse("admin:datasets_dataset_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:datasets_dataset_delete", args=[consortium_dataset.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
