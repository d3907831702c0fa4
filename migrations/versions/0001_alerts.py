"""alerts: alerts, timeline, owners, silences, rings, missed incidents

The alert engine's tables (see alerts/models.py, which must stay in step).

Revision ID: 0001
Revises: (none: the first revision; qinting and radio tables follow as 0002)
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('missed_incidents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('occurred_at', sa.Float(), nullable=False),
    sa.Column('logged_by', sa.String(length=120), nullable=False),
    sa.Column('logged_at', sa.Float(), nullable=False),
    sa.Column('business_line', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=120), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('missed_incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_missed_incidents_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('people',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('silences',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('matcher', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_silences_expires_at'), ['expires_at'], unique=False)

    op.create_table('teams',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('display', sa.String(length=200), nullable=False),
    sa.Column('rotation', sa.String(length=10), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=300), nullable=False),
    sa.Column('open_fingerprint', sa.String(length=300), nullable=True),
    sa.Column('series', sa.String(length=250), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('metric', sa.String(length=60), nullable=False),
    sa.Column('business_line', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=120), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('raised_by', sa.String(length=120), nullable=False),
    sa.Column('anomaly_active', sa.Boolean(), nullable=False),
    sa.Column('held_by', sa.String(length=120), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.Float(), nullable=False),
    sa.Column('last_seen', sa.Float(), nullable=False),
    sa.Column('onset', sa.Float(), nullable=False),
    sa.Column('ended', sa.Float(), nullable=True),
    sa.Column('observed', sa.Float(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('trend', sa.JSON(), nullable=False),
    sa.Column('verbatims', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('acked_by', sa.String(length=120), nullable=True),
    sa.Column('acked_at', sa.Float(), nullable=True),
    sa.Column('snoozed_by', sa.String(length=120), nullable=True),
    sa.Column('snoozed_until', sa.Float(), nullable=True),
    sa.Column('silence_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.Column('resolved_at', sa.Float(), nullable=True),
    sa.Column('label', sa.String(length=20), nullable=True),
    sa.Column('labelled_by', sa.String(length=120), nullable=True),
    sa.Column('labelled_at', sa.Float(), nullable=True),
    sa.Column('owner_team', sa.String(length=80), nullable=False),
    sa.Column('route', sa.String(length=80), nullable=False),
    sa.Column('escalation_chain', sa.JSON(), nullable=False),
    sa.Column('escalation_step', sa.Integer(), nullable=False),
    sa.Column('active_escalation_id', sa.String(length=40), nullable=True),
    sa.Column('next_escalation_at', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['silence_id'], ['silences.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_fingerprint')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_business_line'), ['business_line'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_first_seen'), ['first_seen'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_next_escalation_at'), ['next_escalation_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_owner_team'), ['owner_team'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_status'), ['status'], unique=False)

    op.create_table('channels',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.String(length=120), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index('ix_alert_events_alert_at', ['alert_id', 'at'], unique=False)

    op.create_table('rings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.Column('cause', sa.String(length=40), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('claimed_at', sa.Float(), nullable=True),
    sa.Column('finished_at', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('rings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rings_status'), ['status'], unique=False)

    op.create_table('ring_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ring_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['ring_id'], ['rings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ring_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ring_attempts_ring_id'), ['ring_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ring_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ring_attempts_ring_id'))

    op.drop_table('ring_attempts')
    with op.batch_alter_table('rings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rings_status'))

    op.drop_table('rings')
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_events_alert_at')

    op.drop_table('alert_events')
    op.drop_table('channels')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_owner_team'))
        batch_op.drop_index(batch_op.f('ix_alerts_next_escalation_at'))
        batch_op.drop_index(batch_op.f('ix_alerts_first_seen'))
        batch_op.drop_index(batch_op.f('ix_alerts_fingerprint'))
        batch_op.drop_index(batch_op.f('ix_alerts_business_line'))

    op.drop_table('alerts')
    op.drop_table('teams')
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_silences_expires_at'))

    op.drop_table('silences')
    op.drop_table('people')
    with op.batch_alter_table('missed_incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_missed_incidents_occurred_at'))

    op.drop_table('missed_incidents')
