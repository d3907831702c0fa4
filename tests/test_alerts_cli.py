"""``gmd alerts`` and ``gmd db`` as a lead without a browser uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerts.receiver import WebhookReceiver
from alerts.service import AlertService
from datasources.settings import Settings
from gmd.cli import app
from tests.alerts_support import anomaly

pytestmark = pytest.mark.integration


def _env(settings: Settings) -> dict[str, str]:
    return {
        "GMD_REDIS_URL": str(settings.redis_url),
        "GMD_REDIS_PREFIX": settings.redis_prefix,
        "GMD_DATABASE_URL": settings.effective_database_url,
        "GMD_DATA_DIR": str(settings.data_dir),
        "GMD_ROUTING_FILE": str(settings.routing_file),
        "GMD_ALERTS__RING_BACKOFF_S": "0.05",
        "GMD_LANGUAGE": "en",
    }


def test_list_show_ack_ring_resolve_label(
    service: AlertService, alert_settings: Settings, receiver: WebhookReceiver
) -> None:
    runner = CliRunner()
    env = _env(alert_settings)
    service.ingest([anomaly()])
    [alert] = service.list_alerts()
    listed = runner.invoke(app, ["alerts", "list"], env=env)
    assert listed.exit_code == 0 and f"#{alert.id}" in listed.output and "open" in listed.output

    acked = runner.invoke(app, ["alerts", "ack", str(alert.id), "--by", "lead.wu"], env=env)
    assert acked.exit_code == 0 and "acknowledged" in acked.output
    again = runner.invoke(app, ["alerts", "ack", str(alert.id), "--by", "lead.li"], env=env)
    assert again.exit_code == 1
    assert again.stderr.count("\n") == 1 and "already acknowledged" in again.stderr

    rung = runner.invoke(app, ["alerts", "ring", str(alert.id), "--by", "lead.wu"], env=env)
    assert rung.exit_code == 0 and "delivered" in rung.output and "Alice" in rung.output
    shown = runner.invoke(app, ["alerts", "show", str(alert.id)], env=env)
    assert "open → acknowledged" in shown.output
    assert "lead.wu · rang · rang Alice 王" in shown.output and "attempt 1" in shown.output
    assert "delivered" in shown.output and "Tmall · Payment failure · spike" in shown.output

    assert runner.invoke(app, ["alerts", "resolve", str(alert.id)], env=env).exit_code == 0
    labelled = runner.invoke(app, ["alerts", "label", str(alert.id), "noise"], env=env)
    assert labelled.exit_code == 0
    quality = runner.invoke(app, ["alerts", "quality", "--days", "1"], env=env)
    assert "precision 0.0%" in quality.output

    unknown = runner.invoke(app, ["alerts", "show", "4242"], env=env)
    assert unknown.exit_code == 1 and "no alert #4242" in unknown.stderr
    silenced = runner.invoke(
        app,
        ["alerts", "silence", "--business-line", "tmall", "--why", "压测", "--hours", "1"],
        env=env,
    )
    assert silenced.exit_code == 0 and "silence #1" in silenced.output


def test_check_routing_names_the_line_and_db_upgrade(tmp_path: Path, database_url: str) -> None:
    runner = CliRunner()
    bad = tmp_path / "routing.yaml"
    bad.write_text("people: {}\nteams: {}\npolicies: {}\ndefault: {team: x, policy: y}\n")
    checked = runner.invoke(app, ["alerts", "check-routing", str(bad)])
    assert checked.exit_code == 1
    assert "routing.yaml:4: default.team: unknown team 'x'" in checked.stderr
    assert runner.invoke(app, ["alerts", "check-routing"]).exit_code == 0  # the shipped example
    migrated = runner.invoke(app, ["db", "upgrade", "--url", database_url])
    assert migrated.exit_code == 0 and "up to date" in migrated.output
