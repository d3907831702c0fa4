"""Two web replicas behind one address: two ``streamlit run app.py`` processes on one
Redis Cluster (three masters, three partitions) and one database.

An acknowledgement made in the console of one replica shows on a wall served by the
other at its next refresh: the alert lives in the database, the change counter
(``alerts_changed``) in Redis, and each replica's caches (``st.cache_resource``) only
hold clients and walls keyed by that counter — nothing a page needs lives in one
process.  The wall's figures come from the cluster's partitions, merged.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from datasources.keys import Keys
from datasources.migrate import upgrade
from datasources.redis_conn import connect
from datasources.settings import load_settings
from tests.browser_support import (
    KIOSK_TOKEN,
    App,
    Stack,
    alert_service,
    browser,
    fill_history,
    open_alert,
    start_app,
    wait_ready,
)
from tests.cluster_support import LocalCluster
from tests.conftest import CLUSTER_PARTITIONS, delete_prefix
from tests.db_support import private_database

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow, pytest.mark.embedded]


def test_an_ack_on_one_replica_shows_on_the_wall_of_the_other(
    redis_cluster: LocalCluster, tmp_path: Path
) -> None:
    prefix = f"gmdreplicas-{uuid.uuid4().hex[:8]}"
    client = connect(redis_cluster.url)
    apps: list[App] = []
    with private_database(tmp_path) as database_url:
        stack = Stack(tmp_path, database_url, prefix=prefix)
        env = {**stack.env, "GMD_REDIS_URL": redis_cluster.url}
        env.update(GMD_STREAMS__PARTITIONS=str(CLUSTER_PARTITIONS))
        del env["GMD_USERS_FILE"]  # demo mode: this machine's browser is a lead, no sign-in
        settings = load_settings(
            redis_url=redis_cluster.url, database_url=database_url, redis_prefix=prefix,
            data_dir=tmp_path / "data", routing_file=stack.routing_file,
            streams={"partitions": CLUSTER_PARTITIONS},
        )  # fmt: skip
        try:
            upgrade(database_url)
            now = time.time()
            fill_history(client, Keys.from_settings(settings), settings, end=now, minutes=10)
            service = alert_service(settings, client)
            alert = open_alert(service, business_line="taobao", reason="logistics_delay",
                               verbatims=["快递五天没动"], onset=now - 300)  # fmt: skip
            with ThreadPoolExecutor(2) as starting:
                apps = list(starting.map(lambda _: start_app(env, tmp_path), range(2)))
            card = f"[data-alert='{alert.id}']"
            with browser() as chromium:
                wall = chromium.new_page(viewport={"width": 1920, "height": 1080})
                wall.goto(f"{apps[1].url}/?kiosk=1&token={KIOSK_TOKEN}&lang=en")
                wait_ready(wall)
                wall.wait_for_selector(f"{card}[data-acknowledged='false']", timeout=20_000)
                assert wall.locator(".gmd-tile-value").first.inner_text() not in ("—", "0")
                console = chromium.new_page(viewport={"width": 1600, "height": 1000})
                console.goto(f"{apps[0].url}/console?alert={alert.id}&lang=en")
                wait_ready(console)
                console.get_by_role("button", name="Acknowledge").click()
                clicked = time.monotonic()
                wall.wait_for_selector(f"{card}[data-acknowledged='true']", timeout=10_000)
                assert time.monotonic() - clicked < stack.refresh_s + 6
            service.close()
        finally:
            for app in apps:
                app.stop()
            stack.receiver.close()
            delete_prefix(client, prefix)
            client.close()
