import pytest
from django.core.exceptions import ImproperlyConfigured

from handlingsplan import settings as app_settings
from tests.settings_process import run_settings


def test_env_bool_reads_common_spellings(monkeypatch):
    for raw, expected in [("1", True), ("yes", True), ("On", True), ("0", False), ("false", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert app_settings.env_bool("X_FLAG") is expected


def test_env_bool_rejects_nonsense_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("X_FLAG", "kanske")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        app_settings.env_bool("X_FLAG")


def test_env_int_rejects_non_numbers(monkeypatch):
    monkeypatch.setenv("X_NUM", "tio")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        app_settings.env_int("X_NUM", 1)


def test_secret_key_is_required_when_debug_is_off():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_database_url_is_reported_as_improperly_configured():
    result = run_settings({"DEBUG": "1", "DATABASE_URL": "nosuchdb://x"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_debug_mode_starts_without_any_environment():
    assert run_settings({"DEBUG": "1"}).returncode == 0


def test_language_and_time_zone_are_swedish(settings):
    assert settings.LANGUAGE_CODE == "sv"
    assert settings.TIME_ZONE == "Europe/Stockholm"
