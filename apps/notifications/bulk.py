"""Writing the rows of a large fan-out: PostgreSQL's COPY, else `bulk_create`.

`bulk_create` builds one INSERT with a placeholder per value and prepares every value through
its field in Python; for 10,000 notifications and their outbox rows that was most of the
fan-out's time. COPY streams the rows in the driver's binary-adapted text format instead. The
rows are complete Python objects already (primary keys and defaults are set when they are
built), so nothing needs to come back from the database.
"""

from django.db import connection, models

# Fields whose Python value the driver adapts exactly as Django would prepare it.
PLAIN_TYPES = frozenset(
    {
        "UUIDField",
        "CharField",
        "TextField",
        "EmailField",
        "DateTimeField",
        "ForeignKey",
        "OneToOneField",
        "PositiveSmallIntegerField",
        "PositiveIntegerField",
        "SmallIntegerField",
        "IntegerField",
        "BigIntegerField",
        "BooleanField",
    }
)


def insert_rows(model: type[models.Model], rows: list, *, batch_size: int = 1000) -> None:
    """Insert new `rows` of `model` in the current transaction (no signals, like bulk_create)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows, batch_size=batch_size)
        return
    fields = list(model._meta.concrete_fields)
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    prepared = [f for f in fields if f.get_internal_type() not in PLAIN_TYPES]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            for field in stamped:
                field.pre_save(row, add=True)
            values = row.__dict__
            record = [values[f.attname] for f in fields]
            for field in prepared:
                index = fields.index(field)
                record[index] = field.get_db_prep_save(record[index], connection)
            copy.write_row(record)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias
