"""The read-only JSON API under /api/v1/ (Django REST framework, OpenAPI 3 by drf-spectacular).
It serves the items of activities/opendata/items.py; the serializers here declare their types
for the OpenAPI document. Same visibility as open data (opendata/visibility.py)."""
