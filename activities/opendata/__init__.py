"""Open data: what the public files under /oppna-data/<plan>/ and the read-only API (/api/v1/,
activities/api/) show of a plan, written once (items.py) and shared by both. Who may see which
plan is visibility.py; ETags and caching http.py; the CSV and JSON files datasets.py.
The files' columns and codes are documented in docs/open-data.md."""
