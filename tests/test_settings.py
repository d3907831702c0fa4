"""Configuration: defaults, environment, files, and one clear line for a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from datasources.settings import ConfigError, load_settings
from gmd.run import served_base_url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GMD_REDIS_URL", "GMD_DATABASE_URL", "GMD_CONFIG", "GMD_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_server(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.redis_url is None  # the embedded Redis is started instead
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/guangmingding.db"
    assert settings.targets.pickup_rate == pytest.approx(0.999)


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gmd.toml"
    config.write_text('language = "en"\nredis_prefix = "fromfile"\n[targets]\npickup_rate = 0.99\n')
    monkeypatch.setenv("GMD_CONFIG", str(config))
    monkeypatch.setenv("GMD_REDIS_PREFIX", "fromenv")
    settings = load_settings()
    assert settings.language == "en"
    assert settings.redis_prefix == "fromenv"
    assert settings.targets.pickup_rate == pytest.approx(0.99)


def test_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gmd.yaml"
    config.write_text("refresh_s: 3\nstreams:\n  contacts: cx\n")
    monkeypatch.setenv("GMD_CONFIG", str(config))
    settings = load_settings()
    assert settings.refresh_s == 3
    assert settings.streams.contacts == "cx"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"redis_url": "http://localhost"}, "GMD_REDIS_URL: expected a URL starting with redis://"),
        ({"database_url": "not a url"}, "GMD_DATABASE_URL: expected an SQLAlchemy URL"),
        ({"targets": {"pickup_rate": 1.5}}, "GMD_TARGETS__PICKUP_RATE: Input should be less"),
        ({"refresh_s": 0}, "GMD_REFRESH_S:"),
        ({"language": "fr"}, "GMD_LANGUAGE:"),
        ({"redis_prefix": "has space"}, "GMD_REDIS_PREFIX:"),
        ({"no_such_setting": 1}, "GMD_NO_SUCH_SETTING: is not a known setting"),
        ({"routing_file": "/nope/routes.yaml"}, "GMD_ROUTING_FILE: expected an existing file"),
        ({"redis_url": "redis+cluster://h:1,h"}, "GMD_REDIS_URL: expected host:port for each"),
        ({"redis_url": "redis+cluster://h:1/2"}, "GMD_REDIS_URL: a Redis Cluster has only"),
        ({"streams": {"partitions": 0}}, "GMD_STREAMS__PARTITIONS:"),
    ],
)
def test_bad_value_names_the_setting(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(**overrides)
    message = str(raised.value)
    assert named in message
    assert "\n" not in message


def test_broken_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gmd.toml"
    config.write_text("language = \n")
    monkeypatch.setenv("GMD_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"GMD_CONFIG: .* is not valid TOML/YAML"):
        load_settings()


@pytest.mark.parametrize("command", [["run"], ["run", "--port", "8599"]])
def test_cli_exits_2_with_one_line(command: list[str], tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "GMD_REDIS_URL": "http://wrong", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "gmd", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "gmd: configuration error: GMD_REDIS_URL: expected a URL starting with redis://, "
        "rediss://, unix:// or redis+cluster://host:port,host:port (got 'http://wrong')"
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "http://localhost:18801"),
        ("::1", "http://localhost:18801"),
        ("0.0.0.0", "http://warroom-7.example.net:18801"),
        ("::", "http://warroom-7.example.net:18801"),
        ("10.2.3.4", "http://10.2.3.4:18801"),
        ("fd00::7", "http://[fd00::7]:18801"),
    ],
)
def test_rings_link_to_the_address_gmd_run_serves(host: str, expected: str) -> None:
    """Without GMD_BASE_URL, a ring's link names the port served and, when the app
    listens beyond this machine, a name the owner's phone can reach (not localhost)."""
    assert served_base_url(host, 18801, lambda: "warroom-7.example.net") == expected
