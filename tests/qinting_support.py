"""Test helpers for qinting and the radio: feed events and a migrated database."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from datasources.db import make_engine, make_sessionmaker
from datasources.migrate import upgrade
from datasources.schemas import ContactEvent, Utterance


def utterance(
    conversation_id: str,
    seq: int,
    text: str,
    *,
    speaker: str = "customer",
    ts: float | None = None,
    business_line: str = "tmall",
    reason: str = "refund",
    channel: str = "chat",
    skill_group: str = "tmall-aftersales",
    final: bool = False,
    customer_id: str | None = "c-1",
    agent_id: str | None = None,
) -> Utterance:
    return Utterance.model_validate(
        {
            "v": "1",
            "ts": round((ts if ts is not None else time.time()) * 1000),
            "conversation_id": conversation_id,
            "seq": seq,
            "speaker": speaker,
            "text": text,
            "business_line": business_line,
            "reason": reason,
            "channel": channel,
            "skill_group": skill_group,
            "final": final,
            "customer_id": customer_id,
            "agent_id": agent_id,
        }
    )


def contact(customer_id: str, ts: float, reason: str = "refund") -> ContactEvent:
    return ContactEvent.model_validate(
        {
            "v": "1",
            "ts": round(ts * 1000),
            "contact_id": f"k-{ts}",
            "channel": "hotline",
            "business_line": "tmall",
            "reason": reason,
            "skill_group": "tmall-aftersales",
            "handled_by": "agent",
            "waited_s": 12.5,
            "outcome": "answered",
            "customer_id": customer_id,
        }
    )


def migrated_sessions(url: str) -> sessionmaker[Session]:
    upgrade(url)
    return make_sessionmaker(make_engine(url))
