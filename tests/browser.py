"""Helpers for the Playwright browser tests: sign-in, axe-core, keyboard and layout checks.

Each check fails with a list a person can act on (what, where, why) rather than a bare count.
"""

import re
from pathlib import Path

import axe_playwright_python
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from playwright.sync_api import expect

# The axe-core build bundled by axe-playwright-python, injected as a script (no network needed).
AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# What a keyboard user can Tab to; main has tabindex="-1" (skip-link target) and is left out.
TABBABLE = (
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), "
    "select:not([disabled]), textarea:not([disabled]), summary, "
    "[tabindex]:not([tabindex='-1'])"
)


class PlanSnapshot:
    """The plan's rows (organisations, areas, activities and their history), put back with bulk
    inserts after a transactional test has flushed them. Reloading the fixtures looks up every
    natural key one query at a time and takes seconds per test; this takes a fraction of one."""

    APPS = ("organisations", "areas", "activities")

    def __init__(self):
        self.rows = None

    def models(self):
        return [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in self.APPS
            and model._meta.managed
            and not model._meta.proxy  # a proxy shares its table with the concrete model
        ]

    def take(self):
        self.rows = {model: list(model._base_manager.all()) for model in self.models()}

    def restore(self):
        with transaction.atomic():
            for model, rows in self.rows.items():
                model._base_manager.bulk_create(rows)
            # PostgreSQL: move the id sequences past the restored ids (SQLite needs nothing).
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(self.rows)):
                    cursor.execute(sql)


def sign_in(page, live_server, username, password):
    """Sign in through the real login form and wait until the browser has left it."""
    page.goto(f"{live_server.url}/konto/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    expect(page).not_to_have_url(re.compile(r"/konto/login/"))


# axe ------------------------------------------------------------------------------------------


def axe_violations(page, tags=WCAG_21_AA):
    """axe-core's violations on the current page, for the given WCAG tags."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    # Only violations are needed: resultTypes spares axe detailing the passes, and returning
    # just the violations keeps the answer small.
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    return page.evaluate("o => axe.run(document, o).then(r => r.violations)", options)


def format_violations(violations, where=""):
    lines = []
    for v in violations:
        lines.append(f"{where}{v['id']} ({v['impact']}): {v['help']} – {v['helpUrl']}")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}  {summary[:200]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def assert_no_axe_violations(page, tags=WCAG_21_AA):
    violations = axe_violations(page, tags)
    assert not violations, "axe-core, " + page.url + ":\n" + format_violations(violations)


# Keyboard -------------------------------------------------------------------------------------

# Marks the visible tabbable elements with their unfocused outline and box-shadow, and logs
# every element that receives focus with its style at that moment.
_WATCH_FOCUS = """selector => {
  const style = el => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join("|");
  };
  const describe = el => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
    return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> ${text.slice(0, 40)}`;
  };
  const visible = el =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const elements = [...document.querySelectorAll(selector)].filter(visible);
  elements.forEach((el, i) => { el.dataset.tabCheck = String(i); });
  window.__focusLog = [];
  document.addEventListener("focusin", event => {
    const el = event.target, s = getComputedStyle(el);
    window.__focusLog.push({
      index: el.dataset.tabCheck === undefined ? null : Number(el.dataset.tabCheck),
      style: style(el),
      indicator: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0)
        || s.boxShadow !== "none",
      label: describe(el),
    });
  });
  return elements.map(el => ({style: style(el), label: describe(el)}));
}"""


def tab_through(page):
    """Press Tab from the top of a freshly loaded page until focus has been round the page
    once. Returns the page's visible tabbable elements with their unfocused style, and what
    Tab focused, in order, with the style it had when focused."""
    elements = page.evaluate(_WATCH_FOCUS, TABBABLE)
    for _ in range(len(elements) + 2):  # past the last element focus leaves the page
        page.keyboard.press("Tab")
    focused, seen = [], set()
    for entry in page.evaluate("() => window.__focusLog"):
        key = entry["index"] if entry["index"] is not None else entry["label"]
        if key in seen:
            break  # round again from the top
        seen.add(key)
        focused.append(entry)
    return elements, focused


def assert_every_element_is_tabbable_with_visible_focus(page):
    """Every visible interactive element is reached by Tab, and looks different when focused.
    Call it on a freshly loaded page; returns what was focused, in order."""
    elements, focused = tab_through(page)
    reached = {f["index"] for f in focused}
    missed = [e["label"] for i, e in enumerate(elements) if i not in reached]
    assert not missed, f"{page.url}: not reachable with Tab: {missed}"
    invisible = [
        f["label"]
        for f in focused
        if not f["indicator"]
        or (f["index"] is not None and f["style"] == elements[f["index"]]["style"])
    ]
    assert not invisible, f"{page.url}: no visible focus indicator on {invisible}"
    return focused


def keyboard_problem(page):
    """What keeps the freshly loaded page from working with the keyboard alone (a control Tab
    does not reach, no visible focus, or the skip link not first), or None."""
    try:
        focused = assert_every_element_is_tabbable_with_visible_focus(page)
    except AssertionError as error:
        return str(error)
    if focused[0]["label"] != "<a> Hoppa till innehållet":
        return f"{page.url}: Tab reaches {focused[0]['label']} before the skip link"
    return None


# Layout ---------------------------------------------------------------------------------------


def horizontal_overflow(page):
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def overflowing_elements(page, limit=5):
    """The outermost elements sticking out to the right of the viewport, to say why a page
    scrolls sideways."""
    return page.evaluate(
        """limit => {
          const width = document.documentElement.clientWidth, out = [];
          for (const el of document.body.querySelectorAll("*")) {
            if (el.getBoundingClientRect().right <= width + 0.5) continue;
            if (out.some(o => o.contains(el))) continue;
            // Inside a scroll box only what escapes it counts (absolutely positioned things).
            const escapes = ["absolute", "fixed"].includes(getComputedStyle(el).position);
            if (el.parentElement.closest(".table-scroll") && !escapes) continue;
            out.push(el);
            if (out.length >= limit) break;
          }
          return out.map(el => el.outerHTML.slice(0, 120));
        }""",
        limit,
    )
