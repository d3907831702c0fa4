"""One typed settings object for every process, validated at start.

Values come, in order of precedence, from keyword overrides, ``GMD_*`` environment
variables (nested with ``__``, e.g. ``GMD_TARGETS__PICKUP_RATE``) and an optional
TOML or YAML file named by ``GMD_CONFIG``.  A bad value raises :class:`ConfigError`
whose message is one line naming the setting and what it expects; the CLI prints
that line and exits with code 2.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from datasources.redis_urls import cluster_nodes

ENV_PREFIX = "GMD_"
CONFIG_ENV = "GMD_CONFIG"
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one human-readable line."""


class StreamNames(BaseModel):
    """Names of the Redis streams (the key prefix is added by :mod:`datasources.keys`), and
    how many partitions each input stream is split into."""

    model_config = {"extra": "forbid"}

    partitions: int = Field(1, ge=1, le=256)
    """Partitions per input stream (:mod:`datasources.partitions`; ``docs/scale.md``): 1
    keeps one stream per feed and today's key names; more spread the feeds, and every
    write a batch makes, over a Redis Cluster's masters.  Fixed for a deployment: the
    readers merge partitions ``0 … N-1``."""

    contacts: str = "contacts"
    queue: str = "queue"
    voices: str = "voices"
    conversations: str = "conversations"
    anomalies: str = "anomalies"
    deadletter: str = "deadletter"


class Targets(BaseModel):
    """Service targets the queue KPIs are judged against (colours on the wall, breaches)."""

    model_config = {"extra": "forbid"}

    pickup_rate: float = Field(0.999, gt=0, le=1)
    service_level: float = Field(0.80, gt=0, le=1)
    service_level_threshold_s: float = Field(20.0, gt=0)
    longest_wait_s: float = Field(60.0, gt=0)


class Retention(BaseModel):
    """How much raw feed and aggregate history Redis keeps."""

    model_config = {"extra": "forbid"}

    stream_maxlen: int = Field(2_000_000, ge=1000)
    bucket_10s_s: int = Field(6 * 3600, ge=60)
    bucket_1m_s: int = Field(3 * 86400, ge=600)
    bucket_1h_s: int = Field(35 * 86400, ge=3600)


class WorkerSettings(BaseModel):
    """Tuning of the feed consumer."""

    model_config = {"extra": "forbid"}

    batch_size: int = Field(2000, ge=1)
    block_ms: int = Field(500, ge=1)
    claim_idle_ms: int = Field(30_000, ge=100)
    heartbeat_ttl_s: int = Field(15, ge=2)
    stage_attempts: int = Field(3, ge=1)
    """Tries of a batch whose stage raises before its events are applied one by one and
    the ones the stage still fails on are dead-lettered (a poison event must not stall
    the feed)."""


class ScreenSettings(BaseModel):
    """How the wall and console look and behave (time zone, sizes, sign-in defaults)."""

    model_config = {"extra": "forbid"}

    timezone: str = "Asia/Shanghai"
    obstacles_max: int = Field(6, ge=1, le=20)
    verbatims_per_obstacle: int = Field(3, ge=0, le=5)
    playlist_every_s: float = Field(30.0, ge=5)
    demo_role: Literal["viewer", "lead", "admin"] = "lead"
    """Role of a local (localhost) visitor when no users file and no OIDC are configured."""


class QintingSettings(BaseModel):
    """Live conversations for the listening page and the transcript rules (亲听)."""

    model_config = {"extra": "forbid"}

    rules_file: Path | None = None
    """YAML transcript rules; ``None`` uses the defaults shipped in ``alerts/``."""
    live_window_s: float = Field(300.0, ge=10)
    """A conversation is "live" while its last utterance is younger than this."""
    conversation_ttl_s: int = Field(6 * 3600, ge=60)
    max_utterances: int = Field(500, ge=10)
    customer_contacts: int = Field(10, ge=1, le=100)
    customer_contacts_ttl_s: int = Field(7 * 86400, ge=60)
    transcript_refresh_s: float = Field(2.0, ge=0.5, le=60)
    flag_ttl_s: int = Field(86400, ge=60)
    """How long "this conversation was already flagged by this rule" is remembered."""
    listen_role: Literal["viewer", "lead", "admin"] = "lead"

    @field_validator("rules_file")
    @classmethod
    def _rules_file(cls, value: Path | None) -> Path | None:
        """Validated at start: a bad rules file is one clear line, not a worker crash."""
        if value is not None:
            from alerts.transcript_rules import RuleFileError, load_rules

            try:
                load_rules(value)
            except RuleFileError as exc:
                raise ValueError(str(exc)) from None
        return value


class RadioSettings(BaseModel):
    """The nine o'clock radio (9点电台): when digests leave and how cases are grouped."""

    model_config = {"extra": "forbid"}

    digest_time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "Asia/Shanghai"
    similarity: float = Field(0.5, gt=0, le=1)
    """Jaccard similarity of text shingles above which two cases are one group."""
    editor_role: Literal["viewer", "lead", "admin"] = "lead"
    max_groups: int = Field(20, ge=1, le=200)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Asia/Shanghai") from exc
        return value


class AlertSettings(BaseModel):
    """How alerts open, ring and escalate; tests shrink the delays through these."""

    model_config = {"extra": "forbid"}

    escalation_time_scale: float = Field(1.0, gt=0)
    """Multiplies every routing-file wait (0.01 turns 5 minutes into 3 s for tests)."""
    ack_expiry_minutes: float | None = Field(60.0, gt=0)
    """An acknowledgement older than this (scaled) falls back to open; ``None`` never."""
    ring_attempts: int = Field(5, ge=1, le=20)
    ring_backoff_s: float = Field(1.0, gt=0)
    """First retry delay; doubles each attempt up to ``ring_backoff_max_s``."""
    ring_backoff_max_s: float = Field(30.0, gt=0)
    ring_timeout_s: float = Field(5.0, gt=0)
    ring_threads: int = Field(8, ge=1, le=64)
    manual_ring_window_s: float = Field(30.0, ge=0)
    """Repeated manual rings of one alert by one person inside this window ring once."""
    sample_verbatims: int = Field(3, ge=0, le=5)
    sweep_s: float = Field(1.0, gt=0)
    """How often the worker checks timers (escalations, expiries) against the database."""
    intake_batch: int = Field(200, ge=1)
    intake_block_ms: int = Field(200, ge=1)


class DetectionSettings(BaseModel):
    """Thresholds of the anomaly detector; the defaults need no per-dataset tuning."""

    model_config = {"extra": "forbid"}

    bucket_s: int = Field(10, ge=1)
    grace_s: float = Field(5.0, ge=0)
    warmup_buckets: int = Field(30, ge=1)
    half_life_buckets: float = Field(90.0, gt=1)
    windows: list[int] = Field(default_factory=lambda: [1, 2, 3, 6, 12])
    fdr_q: float = Field(1e-4, gt=0, lt=1)
    min_dispersion: float = Field(0.02, ge=0)
    min_spike_excess: float = Field(12.0, ge=0)
    min_spike_ratio: float = Field(2.0, gt=1)
    min_drop_expected: float = Field(15.0, ge=1)
    max_drop_ratio: float = Field(0.5, gt=0, lt=1)
    confirm_buckets: int = Field(1, ge=1)
    end_after_buckets: int = Field(6, ge=1)
    cooldown_s: float = Field(300.0, ge=0)
    update_every_buckets: int = Field(3, ge=1)
    trend_points: int = Field(30, ge=2)
    queue_window_buckets: int = Field(3, ge=1)
    queue_min_offered: int = Field(30, ge=1)
    queue_margin: float = Field(0.1, ge=0, lt=1)
    queue_min_waiting: int = Field(8, ge=1)
    queue_collapse_ratio: float = Field(0.8, gt=0, lt=1)
    queue_collapse_lookback_buckets: int = Field(6, ge=1)
    queue_collapse_min_agents: int = Field(4, ge=1)
    queue_collapse_min_waiting: int = Field(3, ge=1)
    decisive_p: float = Field(1e-9, gt=0, lt=1)
    decisive_ratio: float = Field(3.0, gt=1)
    storm_min_negative: int = Field(8, ge=1)
    storm_windows: list[int] = Field(default_factory=lambda: [2, 3, 6, 12])
    storm_share_rise: float = Field(0.15, gt=0, lt=1)
    child_explains: float = Field(0.5, gt=0, le=1)
    false_alarms_per_day: float = Field(0.1, gt=0)
    """Lone series (``gmd backtest``): the false alarms a series may raise a day; each
    series sets its own bar from its own evidence to this rate.  Lower costs time to
    detect (about ``theta·log(10)`` more nats of evidence for a tenfold cut)."""
    min_rise: float = Field(0.3, gt=0)
    """Lone series: the smallest relative change that is an obstacle (0.3: +30 % up,
    −23 % down) however significant; higher misses slow, real drifts."""
    weekly_profile: bool = False
    """Lone series in buckets of 5 minutes or more: also learn a factor for each hour of
    the week (weekends).  Off by default: on synthetic weekly cycles it halves the
    weekend's error, but on the five tweet series it cost one or two of 13 labelled
    windows (recall 0.85 → 0.77) for no false alarm fewer."""


class Settings(BaseSettings):
    """Everything a Guangmingding process needs to know about its surroundings."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Path(".gmd")
    redis_url: str | None = None
    redis_prefix: str = Field("gmd", pattern=r"^[A-Za-z0-9_.:-]+$")
    database_url: str | None = None
    streams: StreamNames = StreamNames()
    targets: Targets = Targets()
    retention: Retention = Retention()
    worker: WorkerSettings = WorkerSettings()
    detection: DetectionSettings = DetectionSettings()
    screens: ScreenSettings = ScreenSettings()
    qinting: QintingSettings = QintingSettings()
    radio: RadioSettings = RadioSettings()
    alerts: AlertSettings = AlertSettings()
    language: Literal["zh", "en"] = "zh"
    refresh_s: float = Field(5.0, ge=1, le=300)
    stale_after_s: float = Field(30.0, ge=2)
    base_url: str = "http://localhost:8501"
    """Where people reach this instance: every ring's link starts with it (``gmd run``
    derives it from its ``--port`` unless ``GMD_BASE_URL`` is set)."""
    instance_name: str | None = None
    """Which Guangmingding a ring came from (``GMD_INSTANCE_NAME``); the base URL if unset."""
    routing_file: Path | None = None
    users_file: Path | None = None
    kiosk_token: SecretStr | None = None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("redis://", "rediss://", "unix://", *CLUSTER_SCHEMES)):
            raise ValueError(
                "expected a URL starting with redis://, rediss://, unix:// or "
                "redis+cluster://host:port,host:port"
            )
        if value.startswith(CLUSTER_SCHEMES):
            cluster_nodes(value)  # raises ValueError saying what is wrong
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                "expected an SQLAlchemy URL such as sqlite:///path.db "
                "or postgresql+psycopg://user@host/db"
            ) from exc
        return value

    @field_validator("routing_file", "users_file")
    @classmethod
    def _existing_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"expected an existing file, but {value} does not exist")
        return value

    @property
    def redis_cluster(self) -> bool:
        """``GMD_REDIS_URL`` names a Redis Cluster (``redis+cluster://…``)."""
        return bool(self.redis_url and self.redis_url.startswith(CLUSTER_SCHEMES))

    @property
    def effective_database_url(self) -> str:
        """The configured database, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'guangmingding.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ConfigFileSource(settings_cls))


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Reads the TOML or YAML file named by ``GMD_CONFIG``, if any."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ does the work

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get(CONFIG_ENV)
        return read_config_file(Path(path)) if path else {}


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML or YAML settings file; raise :class:`ConfigError` if unreadable."""
    if not path.is_file():
        raise ConfigError(f"{CONFIG_ENV}: expected an existing TOML or YAML file, got {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"{CONFIG_ENV}: {path} is not valid TOML/YAML: {first}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_ENV}: {path} must hold a mapping of settings")
    return data


def _setting_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part) for part in loc).upper()


def describe_error(exc: ValidationError) -> str:
    """Turn pydantic's report into one line: the setting, what it expects, what it got."""
    parts = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "is not a known setting"
        got = err.get("input")
        shown = f" (got {got!r})" if got is not None and not isinstance(got, dict) else ""
        parts.append(f"{_setting_name(err['loc'])}: {message}{shown}")
    return "; ".join(parts)


def load_settings(**overrides: Any) -> Settings:
    """Build and validate the settings, raising :class:`ConfigError` with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
