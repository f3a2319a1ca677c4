"""A database guard for the rule every kind's version services enforce
(`apps.items.services`): an approved version never changes (except to become superseded) and
is never deleted; a superseded one never changes. PostgreSQL only (a trigger); on SQLite the
services and the read-only admin still hold. Protocols installed theirs first
(documents/0002, written out there); later kinds install it from here in a migration."""

TEMPLATE = """
CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
                MESSAGE = '{label} ' || OLD.id || ' is ' || OLD.status
                    || ', and cannot be deleted';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'draft' THEN
        RETURN NEW;
    END IF;
    -- Deleting a user nulls their foreign keys (SET NULL): that alone is allowed.
    IF NEW.{item_column} IS DISTINCT FROM OLD.{item_column}
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
            MESSAGE = '{label} ' || OLD.id || ' is ' || OLD.status
                || ', and cannot be changed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER {table}_immutable
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS {table}_immutable ON {table};
DROP FUNCTION IF EXISTS {table}_immutable();
"""


def install(schema_editor, *, table: str, item_column: str, label: str) -> None:
    """Guard the versions in `table` (`item_column`: the link to their item; `label` names
    a row in the error, "analysis version")."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TEMPLATE.format(table=table, item_column=item_column, label=label))


def remove(schema_editor, *, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP.format(table=table))
