"""Settings come from the environment, with the documented defaults."""

import pytest

from registry.errors import InvalidValue
from registry.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults_without_any_setting():
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.public_read is True
    assert settings.secure_cookie is None  # decided per request: see api/ui/auth.py


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", None), ("  ", None), ("true", True), ("1", True), ("false", False), ("no", False)],
)
def test_secure_cookie_is_unset_forced_on_or_forced_off(value, expected):
    assert Settings.from_env({"REGISTRY_SECURE_COOKIE": value}).secure_cookie is expected


def test_every_setting_is_read():
    settings = Settings.from_env({
        "REGISTRY_DATABASE_URL": "postgresql://db/registry", "REGISTRY_PUBLIC_READ": "false",
        "REGISTRY_HOST": "0.0.0.0", "REGISTRY_PORT": "9000", "REGISTRY_MAX_BODY_BYTES": "100",
        "REGISTRY_CACHE_SIZE": "0", "REGISTRY_SECURE_COOKIE": "true",
        "REGISTRY_TRUSTED_PROXIES": " 10.0.0.7, 10.0.0.8 ,", "REGISTRY_DB_TIMEOUT": "2.5",
        "REGISTRY_STATEMENT_TIMEOUT": "30", "REGISTRY_HEADER_TIMEOUT": "4",
    })  # fmt: skip
    assert settings == Settings(
        database_url="postgresql://db/registry", public_read=False, host="0.0.0.0", port=9000,
        max_body_bytes=100, cache_size=0, secure_cookie=True,
        trusted_proxies=("10.0.0.7", "10.0.0.8"), db_timeout=2.5, statement_timeout=30,
        header_timeout=4,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REGISTRY_PORT", "abc"),
        ("REGISTRY_PORT", "1e3"),
        ("REGISTRY_PORT", "\uff18\uff10\uff10\uff10"),  # full-width digits
        ("REGISTRY_MAX_BODY_BYTES", "-1"),
        ("REGISTRY_CACHE_SIZE", "1.5"),
        ("REGISTRY_DB_TIMEOUT", "soon"),
        ("REGISTRY_HEADER_TIMEOUT", "-2"),
    ],
)
def test_a_bad_number_names_its_variable(name, value):
    with pytest.raises(InvalidValue) as refused:
        Settings.from_env({name: value})
    assert refused.value.fields == [name]
