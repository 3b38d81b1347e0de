"""The backup's file format: Django's JSON fixtures (`loaddata` reads them as they are), with
three differences that make a restore exact.

- Times keep their microseconds. Django's JSON cuts them to milliseconds (ECMA-262 dates), so a
  restored report, history row or sign-in would move by up to a millisecond and no longer
  equal its original (the database keeps microseconds on SQLite and PostgreSQL alike).
- The links of a many-to-many field (a strategic area's participating organisations, a user's
  groups) are written as rows of their own link table, with their ids, instead of as a list on
  the object: `loaddata` would otherwise make the links anew, numbered from 1.
- A reference is written as the id it holds, except one to a content type or a permission,
  which `migrate` makes in every database with ids of its own: those are written by their
  natural keys (app, model, codename). Every other row is restored with its id, so its id is
  what the reference needs. With natural keys for everything, as `dumpdata --natural-foreign`
  writes them, the backup looked up each referenced row (a query per reference) and failed
  outright on a history row whose activity had since been removed ("Activity matching query
  does not exist"); the history keeps such ids on purpose, without a database constraint.
"""

import datetime

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.serializers import json
from django.core.serializers.json import DjangoJSONEncoder

Deserializer = json.Deserializer

# Made by `migrate`, not restored from the backup: referred to by natural key.
NAMED = (ContentType, Permission)


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


class Serializer(json.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder

    def handle_fk_field(self, obj, field):
        if field.related_model in NAMED:
            super().handle_fk_field(obj, field)
        else:
            self._current[field.name] = self._value_from_field(obj, field)

    def handle_m2m_field(self, obj, field):
        if not field.remote_field.through._meta.auto_created:
            super().handle_m2m_field(obj, field)
        # else: the link table is dumped as a model of its own (backup.models_to_dump)
