"""Case-insensitive text matching that also folds å, ä and ö on SQLite.

PostgreSQL's LOWER() folds every letter; SQLite's LOWER() and LIKE only fold ASCII, so "Å"
would not match "å". On SQLite we register a Python casefold function on each connection and
point the Casefold expression at it; on PostgreSQL it is plain LOWER().
"""

from django.db.backends.signals import connection_created
from django.db.models import CharField, Func


class Casefold(Func):
    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="PY_CASEFOLD", **extra_context)


def _casefold(value):
    return value.casefold() if value is not None else None


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("PY_CASEFOLD", 1, _casefold, deterministic=True)


connection_created.connect(register_sqlite_functions)
