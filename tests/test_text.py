"""The shared text helpers (activities/text.py): what a text may hold, and how numbers are
written on pages (in the active language) and in the Excel files (always Swedish)."""

from decimal import Decimal

from django.utils import translation

from activities.text import CONTROL_CHARACTERS, format_number, number, xml_safe


def test_a_page_number_has_no_trailing_zeros_and_follows_the_language():
    values = [Decimal("1400.00"), Decimal("34.50"), Decimal("76.55"), 12]
    with translation.override("sv"):
        assert [number(v) for v in values] == ["1\xa0400", "34,5", "76,55", "12"]
    with translation.override("en"):
        assert [number(v) for v in values] == ["1,400", "34.5", "76.55", "12"]


def test_a_page_number_shows_at_most_two_decimals_and_nothing_for_none():
    with translation.override("sv"):
        assert number(Decimal("0.125")) == "0,13"
        assert number(None) == number("") == ""


def test_a_file_number_is_swedish_without_grouping_whatever_the_language():
    with translation.override("en"):
        assert format_number(Decimal("12.50")) == "12,5"
        assert format_number(Decimal("1400.00")) == "1400"
        assert format_number(None) == ""


def test_xml_safe_drops_what_xml_cannot_hold_and_keeps_tabs_and_line_breaks():
    assert xml_safe("a\x00b\x0bc\ufffed\ud800e\tf\ng\r") == "abcde\tf\ng\r"
    assert xml_safe(12) == "12"


def test_control_characters_are_refused_even_where_xml_could_hold_them():
    assert CONTROL_CHARACTERS.search("delete\x7f")
    assert xml_safe("delete\x7f") == "delete\x7f"
    assert not CONTROL_CHARACTERS.search("tab\there\nand\r\nline breaks, åäö")
