"""A database guard for the rule the services enforce: an approved protocol version never
changes (except to become superseded) and is never deleted; a superseded one never changes.
PostgreSQL only (a trigger); on SQLite the services and the read-only admin still hold."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION documents_protocolversion_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
                MESSAGE = 'protocol version ' || OLD.id || ' is ' || OLD.status
                    || ', and cannot be deleted';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    -- Deleting a user nulls their foreign keys (SET NULL): that alone is allowed.
    IF NEW.protocol_id IS DISTINCT FROM OLD.protocol_id
        OR NEW.number IS DISTINCT FROM OLD.number
        OR NEW.file IS DISTINCT FROM OLD.file
        OR NEW.file_name IS DISTINCT FROM OLD.file_name
        OR NEW.sha256 IS DISTINCT FROM OLD.sha256
        OR NEW.size IS DISTINCT FROM OLD.size
        OR NEW.content_type IS DISTINCT FROM OLD.content_type
        OR NEW.change_note IS DISTINCT FROM OLD.change_note
        OR NEW.approved_at IS DISTINCT FROM OLD.approved_at
        OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR (NEW.created_by_id IS DISTINCT FROM OLD.created_by_id AND NEW.created_by_id IS NOT NULL)
        OR (NEW.approved_by_id IS DISTINCT FROM OLD.approved_by_id AND NEW.approved_by_id IS NOT NULL)
        OR NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'superseded'))
    THEN
        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
            MESSAGE = 'protocol version ' || OLD.id || ' is ' || OLD.status
                || ', and cannot be changed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER documents_protocolversion_immutable
    BEFORE UPDATE OR DELETE ON documents_protocolversion
    FOR EACH ROW EXECUTE FUNCTION documents_protocolversion_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS documents_protocolversion_immutable ON documents_protocolversion;
DROP FUNCTION IF EXISTS documents_protocolversion_immutable();
"""


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
