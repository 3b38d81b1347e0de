"""The DCAT-AP-SE catalogue that Sweden's data portal (dataportal.se) harvests:
/oppna-data/katalog.rdf (RDF/XML, the format the portal reads) and katalog.ttl (Turtle).

One dcat:Catalog; one dcat:Dataset per PUBLISHED plan (never an unpublished one, whoever asks:
the catalogue is for the portal); one dcat:Distribution per file and format (CSV, JSON, Excel)
with its access and download URL, format, media type and licence. The publisher (foaf:Agent,
settings.PUBLISHER_NAME/URL) is described once and shared; the contact point
(vcard:Organization, settings.OPEN_DATA_CONTACT_EMAIL) has its own URI, as DIGG's harvesting
rules ask (docs/harvesting.md in diggsweden/DCAT-AP-SE): absolute IRIs, no blank nodes for the
catalogue, datasets, distributions, agent or contact. Built as an rdflib graph, never as text."""

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from areas.models import Plan

from ..text import xml_safe
from .datasets import DATASETS
from .uris import absolute

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
THEMES = [URIRef(EU + "data-theme/GOVE"), URIRef(EU + "data-theme/ECON")]
SWEDISH = URIRef(EU + "language/SWE")
FORMATS = {  # extension: (EU file type, IANA media type)
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
LANGUAGES = ("sv", "en")
CATALOGUE_TITLE = gettext_noop("Handlingsplaner: öppna data")
CATALOGUE_DESCRIPTION = gettext_noop(
    "Publicerade handlingsplaner och deras uppföljning som öppna data: aktiviteter, "
    "organisationernas roller, mål, rapporter och målvärden i CSV, JSON och Excel."
)
DATASET_DESCRIPTION = gettext_noop(
    "Uppföljningen av handlingsplanen %(plan)s: aktiviteter, organisationernas roller, mål, "
    "statusrapporter och rapporterade målvärden, med status och slutbedömningar. Inga "
    "personuppgifter."
)


def licence_uri():
    """The licence's URI. DIGG asks for Creative Commons licences in their canonical http form
    ("http://creativecommons.org/publicdomain/zero/1.0/"), so that the portal recognises them."""
    url = settings.OPEN_DATA_LICENCE_URL
    return URIRef(url.replace("https://creativecommons.org/", "http://creativecommons.org/", 1))


def _texts(graph, subject, predicate, message, **values):
    """A literal per language (Swedish first), from a translatable message."""
    for language in LANGUAGES:
        with translation.override(language):
            text = _(message) % values if values else _(message)
            graph.add((subject, predicate, Literal(text, lang=language)))


def _agents(graph):
    publisher = URIRef(settings.PUBLISHER_URL)
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(settings.PUBLISHER_NAME, lang="sv")))
    contact = URIRef(absolute(reverse("open_data:index")) + "#kontakt")
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(settings.PUBLISHER_NAME)))
    graph.add((contact, VCARD.hasEmail, URIRef("mailto:" + settings.OPEN_DATA_CONTACT_EMAIL)))
    return publisher, contact


def _distribution(graph, plan, dataset, extension):
    url = URIRef(absolute(reverse("open_data:file", args=[plan.slug, dataset.name, extension])))
    distribution = URIRef(f"{url}#distribution")
    file_type, media_type = FORMATS[extension]
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCAT.accessURL, url))
    graph.add((distribution, DCAT.downloadURL, url))
    graph.add((distribution, DCTERMS.format, URIRef(EU + "file-type/" + file_type)))
    graph.add(
        (
            distribution,
            DCAT.mediaType,
            URIRef(f"https://www.iana.org/assignments/media-types/{media_type}"),
        )
    )
    graph.add((distribution, DCTERMS.license, licence_uri()))
    for language in LANGUAGES:
        with translation.override(language):
            title = f"{dataset.title} ({extension.upper()})"
            graph.add((distribution, DCTERMS.title, Literal(title, lang=language)))
            graph.add(
                (
                    distribution,
                    DCTERMS.description,
                    Literal(str(dataset.description), lang=language),
                )
            )
    if extension == "csv":
        schema = absolute(reverse("open_data:package", args=[plan.slug]))
        graph.add((distribution, DCTERMS.conformsTo, URIRef(schema)))
    return distribution


def _dataset(graph, plan, publisher, contact):
    page = absolute(reverse("open_data:plan", args=[plan.slug]))
    dataset = URIRef(page + "#datamangd")
    graph.add((dataset, RDF.type, DCAT.Dataset))
    # The plan's own title, which is Swedish (no English title to give).
    graph.add((dataset, DCTERMS.title, Literal(plan.title, lang="sv")))
    _texts(graph, dataset, DCTERMS.description, DATASET_DESCRIPTION, plan=plan.title)
    graph.add((dataset, DCTERMS.identifier, Literal(page)))
    graph.add((dataset, DCTERMS.publisher, publisher))
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((dataset, DCAT.landingPage, URIRef(page)))
    graph.add((dataset, DCTERMS.language, SWEDISH))
    graph.add((dataset, DCTERMS.issued, Literal(plan.period_start, datatype=XSD.date)))
    if plan.modified:
        graph.add((dataset, DCTERMS.modified, Literal(plan.modified, datatype=XSD.dateTime)))
    for theme in THEMES:
        graph.add((dataset, DCAT.theme, theme))
    for keyword in ("handlingsplan", "uppföljning", "näringsliv"):
        graph.add((dataset, DCAT.keyword, Literal(keyword, lang="sv")))
    graph.add((dataset, DCTERMS.temporal, _period(graph, plan, page)))
    for name in DATASETS.values():
        for extension in FORMATS:
            graph.add((dataset, DCAT.distribution, _distribution(graph, plan, name, extension)))
    return dataset


def _period(graph, plan, page):
    period = URIRef(page + "#period")
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    graph.add((period, DCAT.startDate, Literal(plan.period_start, datatype=XSD.date)))
    graph.add((period, DCAT.endDate, Literal(plan.period_end, datatype=XSD.date)))
    return period


def published_plans():
    """The plans in the catalogue, newest first, each with `modified`, the time of its newest
    status report (None before the first): one query however many plans and reports."""
    return (
        Plan.objects.filter(published=True)
        .annotate(modified=Max("areas__insatser__activities__reports__created_at"))
        .order_by("-period_start")
    )


def catalogue(plans):
    """The graph of the catalogue of `plans` (published_plans(); an unpublished one is left
    out here too)."""
    graph = Graph()
    graph.bind("dcat", DCAT)
    graph.bind("dcterms", DCTERMS)
    graph.bind("foaf", FOAF)
    graph.bind("vcard", VCARD)
    home = absolute(reverse("open_data:index"))
    catalog = URIRef(absolute(reverse("open_data:catalogue", args=["rdf"])))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _texts(graph, catalog, DCTERMS.title, CATALOGUE_TITLE)
    _texts(graph, catalog, DCTERMS.description, CATALOGUE_DESCRIPTION)
    publisher, contact = _agents(graph)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, DCTERMS.license, licence_uri()))
    graph.add((catalog, DCTERMS.language, SWEDISH))
    graph.add((catalog, FOAF.homepage, URIRef(home)))
    plans = [plan for plan in plans if plan.published]
    changes = [plan.modified for plan in plans if plan.modified]
    if changes:
        graph.add((catalog, DCTERMS.modified, Literal(max(changes), datatype=XSD.dateTime)))
    for plan in plans:
        graph.add((catalog, DCAT.dataset, _dataset(graph, plan, publisher, contact)))
    return _xml_safe(graph)


def _xml_safe(graph):
    """The graph with every literal stripped of the characters XML cannot hold (a plan title
    pasted from Word may carry a vertical tab): RDF/XML written with one is no XML at all, and
    the portal would refuse the whole catalogue."""
    for subject, predicate, value in list(graph):
        if isinstance(value, Literal) and value.datatype is None:
            text = xml_safe(value)
            if text != str(value):
                graph.remove((subject, predicate, value))
                graph.add((subject, predicate, Literal(text, lang=value.language)))
    return graph
