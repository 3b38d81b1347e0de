"""The DCAT-AP-SE catalogue for dataportal.se (/oppna-data/katalog.rdf, RDF/XML as the portal
harvests, and katalog.ttl): parsed with rdflib and checked for every mandatory property of
DCAT-AP-SE (DIGG's exempel/obligatoriskt.ttl and docs/harvesting.md: absolute IRIs, no blank
nodes for the catalogue, datasets, distributions, publisher and contact), published plans only,
in a fixed number of queries as the plans grow."""

import datetime

import pytest
from django.urls import reverse
from rdflib import BNode, Graph, Literal, URIRef
from rdflib import namespace as ns

from activities.opendata.catalogue import VCARD
from activities.opendata.datasets import DATASETS
from areas.models import Plan, PlanState
from tests import factories
from tests.actions import count_queries

pytestmark = pytest.mark.django_db

SITE = "https://handlingsplan.example.se"
EU = "http://publications.europa.eu/resource/authority/"
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.PUBLISHER_NAME = "Göteborgs Stad, Business Region Göteborg"
    settings.PUBLISHER_URL = "https://www.businessregiongoteborg.se/"
    settings.OPEN_DATA_CONTACT_EMAIL = "oppnadata@example.se"


def catalogue(client, syntax="rdf", **headers):
    response = client.get(reverse("open_data:catalogue", args=[syntax]), **headers)
    assert response.status_code == 200
    graph = Graph()
    graph.parse(data=response.content, format="xml" if syntax == "rdf" else "turtle")
    return response, graph


def other_plan(slug, **fields):
    return Plan.objects.create(
        slug=slug,
        title=f"Plan {slug}",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2027, 12, 31),
        outcome_deadline=datetime.date(2027, 12, 31),
        **fields,
    )


def one(graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def languages(graph, subject, predicate):
    return {value.language: str(value) for value in graph.objects(subject, predicate)}


def test_the_catalogue_has_every_mandatory_property(client, published_plan, reporter_sbf):
    factories.report_on_every_activity(published_plan, reporter_sbf)
    response, graph = catalogue(client)
    assert response["Content-Type"] == "application/rdf+xml; charset=utf-8"
    [catalog] = graph.subjects(ns.RDF.type, ns.DCAT.Catalog)
    assert catalog == URIRef(SITE + "/oppna-data/katalog.rdf")
    assert languages(graph, catalog, ns.DCTERMS.title).keys() == {"sv", "en"}
    assert languages(graph, catalog, ns.DCTERMS.description)["sv"]
    assert one(graph, catalog, ns.DCTERMS.license) == CC0
    assert one(graph, catalog, ns.FOAF.homepage) == URIRef(SITE + "/oppna-data/")
    assert one(graph, catalog, ns.DCTERMS.modified)
    publisher = one(graph, catalog, ns.DCTERMS.publisher)
    assert (publisher, ns.RDF.type, ns.FOAF.Agent) in graph
    assert str(one(graph, publisher, ns.FOAF.name)) == "Göteborgs Stad, Business Region Göteborg"

    dataset = one(graph, catalog, ns.DCAT.dataset)
    assert dataset == URIRef(SITE + "/oppna-data/2024-2025/#datamangd")
    assert (dataset, ns.RDF.type, ns.DCAT.Dataset) in graph
    assert languages(graph, dataset, ns.DCTERMS.title) == {"sv": published_plan.title}
    assert "aktiviteter" in languages(graph, dataset, ns.DCTERMS.description)["sv"]
    assert one(graph, dataset, ns.DCTERMS.publisher) == publisher
    assert set(graph.objects(dataset, ns.DCAT.theme)) == {
        URIRef(EU + "data-theme/GOVE"),
        URIRef(EU + "data-theme/ECON"),
    }
    assert one(graph, dataset, ns.DCTERMS.language) == URIRef(EU + "language/SWE")
    assert one(graph, dataset, ns.DCTERMS.issued) == Literal(published_plan.period_start)
    assert one(graph, dataset, ns.DCTERMS.modified)
    assert one(graph, dataset, ns.DCAT.landingPage) == URIRef(SITE + "/oppna-data/2024-2025/")

    contact = one(graph, dataset, ns.DCAT.contactPoint)
    assert contact != publisher
    assert (contact, ns.RDF.type, VCARD.Organization) in graph
    assert one(graph, contact, VCARD.fn)
    assert one(graph, contact, VCARD.hasEmail) == URIRef("mailto:oppnadata@example.se")

    distributions = set(graph.objects(dataset, ns.DCAT.distribution))
    assert len(distributions) == 3 * len(DATASETS)
    downloads = set()
    for distribution in distributions:
        assert (distribution, ns.RDF.type, ns.DCAT.Distribution) in graph
        url = one(graph, distribution, ns.DCAT.accessURL)
        assert one(graph, distribution, ns.DCAT.downloadURL) == url
        downloads.add(str(url))
        extension = str(url).rsplit(".", 1)[1]
        assert one(graph, distribution, ns.DCTERMS.format) == URIRef(
            EU + "file-type/" + extension.upper()
        )
        assert "media-types/" in one(graph, distribution, ns.DCAT.mediaType)
        assert one(graph, distribution, ns.DCTERMS.license) == CC0
        assert languages(graph, distribution, ns.DCTERMS.title).keys() == {"sv", "en"}
    assert downloads == {
        f"{SITE}/oppna-data/2024-2025/{name}.{extension}"
        for name in DATASETS
        for extension in ("csv", "json", "xlsx")
    }
    # Every distribution answers, through the site, with the file it names.
    for url in sorted(downloads)[:3]:
        assert client.get(url.removeprefix(SITE)).status_code == 200
    # No blank node anywhere, every IRI absolute.
    for triple in graph:
        assert not any(isinstance(term, BNode) for term in triple)
        for term in triple:
            if isinstance(term, URIRef):
                assert str(term).startswith(("http://", "https://", "mailto:")), term


def test_turtle_says_the_same(client, published_plan):
    _response, xml = catalogue(client, "rdf")
    response, turtle = catalogue(client, "ttl")
    assert response["Content-Type"] == "text/turtle; charset=utf-8"
    assert set(turtle) == set(xml)


def test_only_published_plans_are_in_the_catalogue_even_for_a_coordinator(
    client, plan, coordinator
):
    other_plan("utkast", state=PlanState.DRAFT)
    other_plan("opublicerad")
    published = other_plan("publicerad", published=True)
    client.force_login(coordinator)
    for syntax in ("rdf", "ttl"):
        response, graph = catalogue(client, syntax)
        datasets = set(graph.subjects(ns.RDF.type, ns.DCAT.Dataset))
        assert datasets == {URIRef(f"{SITE}/oppna-data/{published.slug}/#datamangd")}
        text = response.content.decode()
        for hidden in (plan.slug, "utkast", "opublicerad"):
            assert f"/{hidden}/" not in text
    # The catalogue is the same for everyone, so it may be cached publicly.
    assert response["Cache-Control"].startswith("public")


def test_an_empty_catalogue_is_still_a_catalogue(client, plan):
    _response, graph = catalogue(client)
    [catalog] = graph.subjects(ns.RDF.type, ns.DCAT.Catalog)
    assert not list(graph.objects(catalog, ns.DCAT.dataset))
    assert one(graph, catalog, ns.DCTERMS.license) == CC0


def test_the_catalogue_costs_the_same_queries_however_many_plans(client, published_plan):
    url = reverse("open_data:catalogue", args=["rdf"])
    client.get(url)
    one_plan = count_queries(client, url)
    for number in range(5):
        other_plan(f"plan-{number}", published=True)
    assert count_queries(client, url) == one_plan == 2


def test_the_catalogue_answers_304_and_refuses_writes(client, published_plan):
    url = reverse("open_data:catalogue", args=["rdf"])
    response = client.get(url, {"x": "<script>"})
    assert (
        client.get(url, {"x": "<script>"}, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    )
    assert client.post(url).status_code == 405
    assert client.head(url).content == b""


def test_a_control_character_in_a_plan_title_never_breaks_the_catalogue(client, published_plan):
    """A title pasted from Word may carry a vertical tab (its soft line break): RDF/XML with it
    is no XML, and the portal would refuse every plan's dataset, not just this one."""
    Plan.objects.filter(pk=published_plan.pk).update(title="Plan\x0brad två\x01 & <mer>")
    for syntax in ("rdf", "ttl"):
        _response, graph = catalogue(client, syntax)
        dataset = URIRef(f"{SITE}/oppna-data/{published_plan.slug}/#datamangd")
        assert one(graph, dataset, ns.DCTERMS.title) == Literal("Planrad två & <mer>", lang="sv")
