"""alert events carry their facts: alert_events.detail (JSON)

The timeline puts each row into the reader's language from its rule and these facts
(a team, a time, a severity, who was rung) instead of storing English sentences;
``text`` keeps only what a person wrote.  Older rows have ``NULL`` and show their text.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_column('detail')
