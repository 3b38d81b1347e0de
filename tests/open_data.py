"""Helpers for the open data and API tests: fetch every file and every page of every API list."""

import csv
import io
import json

from django.urls import reverse

from activities.opendata.datasets import DATASETS

LISTS = ["activities", "targets", "reports", "organisations"]


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def file_url(plan, name, extension):
    return reverse("open_data:file", args=[plan.slug, name, extension])


def csv_rows(client, plan, name):
    response = client.get(file_url(plan, name, "csv"))
    assert response.status_code == 200
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def json_items(client, plan, name):
    response = client.get(file_url(plan, name, "json"))
    assert response.status_code == 200
    data = json.loads(body(response))
    assert data["plan"]["slug"] == plan.slug
    return data["items"]


def api_list(client, plan, name, **params):
    """Every item of an API list, following `next` page by page."""
    url = reverse(f"api:{name}", args=[plan.slug])
    query = {"page_size": 500, **params}
    results = []
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, (url, response.content[:200])
        data = response.json()
        results += data["results"]
        url, query = data["next"], None
    return results


def every_answer(client, plan):
    """The text of every file and every API answer about the plan, and their names."""
    texts = {}
    for name in DATASETS:
        for extension in ("csv", "json"):
            response = client.get(file_url(plan, name, extension))
            assert response.status_code == 200
            texts[f"{name}.{extension}"] = body(response).decode("utf-8")
    texts["plan"] = client.get(reverse("api:plan", args=[plan.slug])).content.decode()
    texts["plans"] = client.get(reverse("api:plans")).content.decode()
    for name in LISTS:
        texts[name] = json.dumps(api_list(client, plan, name), ensure_ascii=False)
    one = reverse("api:activity", args=[plan.slug, "1.1.1"])
    texts["activity"] = client.get(one).content.decode()
    texts["index"] = client.get(reverse("open_data:plan", args=[plan.slug])).content.decode()
    return texts
