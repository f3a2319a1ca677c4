"""Secrets stored before encryption at rest existed are encrypted by the migration, not lost."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.sso.models import IdentityProvider

BEFORE = [("sso", "0001_identity_providers")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_client_secrets(partner_org):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_state = executor.loader.project_state(BEFORE).apps
        OldProvider = old_state.get_model("sso", "IdentityProvider")
        OldProvider.objects.create(
            organisation_id=partner_org.pk,
            protocol="openid_connect",
            slug="kelvin",
            name="Kelvin",
            server_url="https://login.kelvin.ac.uk/",
            client_id="stratum",
            client_secret="plain-old-secret",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest schema

    provider = IdentityProvider.objects.get(slug="kelvin")
    assert provider.client_secret == "plain-old-secret"
    assert "plain-old-secret" not in provider.client_secret_encrypted
