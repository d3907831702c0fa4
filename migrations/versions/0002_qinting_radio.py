"""qinting and radio: listening sessions, their notes, radio channels, cases, subscriptions, deliveries

The tables of alerts/radio_models.py, which must stay in step.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('qinting_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('listener', sa.String(length=120), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('business_line', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=120), nullable=True),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('skill_group', sa.String(length=80), nullable=True),
    sa.Column('started_at', sa.Float(), nullable=False),
    sa.Column('last_seen_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('qinting_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qinting_sessions_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qinting_sessions_listener'), ['listener'], unique=False)
        batch_op.create_index(batch_op.f('ix_qinting_sessions_started_at'), ['started_at'], unique=False)

    op.create_table('radio_channels',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('business_line', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('qinting_notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('tag', sa.String(length=60), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('utterance_ts', sa.Float(), nullable=True),
    sa.Column('ref', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['qinting_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('qinting_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qinting_notes_session_id'), ['session_id'], unique=False)

    op.create_table('radio_cases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('business_line', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=120), nullable=True),
    sa.Column('conversation_id', sa.String(length=128), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('proposed_by', sa.String(length=120), nullable=False),
    sa.Column('proposed_at', sa.Float(), nullable=False),
    sa.Column('curated_by', sa.String(length=120), nullable=True),
    sa.Column('curated_at', sa.Float(), nullable=True),
    sa.Column('published_at', sa.Float(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['radio_channels.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['qinting_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('radio_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_radio_cases_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_radio_cases_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_radio_cases_status'), ['status'], unique=False)

    op.create_table('radio_subscriptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('subscriber', sa.String(length=120), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['radio_channels.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id', 'subscriber', name='uq_radio_subscription')
    )
    with op.batch_alter_table('radio_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_radio_subscriptions_channel_id'), ['channel_id'], unique=False)

    op.create_table('radio_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.Float(), nullable=False),
    sa.Column('sent_at', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['radio_subscriptions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'day', name='uq_radio_delivery')
    )


def downgrade() -> None:
    op.drop_table('radio_deliveries')
    with op.batch_alter_table('radio_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_radio_subscriptions_channel_id'))

    op.drop_table('radio_subscriptions')
    with op.batch_alter_table('radio_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_radio_cases_status'))
        batch_op.drop_index(batch_op.f('ix_radio_cases_published_at'))
        batch_op.drop_index(batch_op.f('ix_radio_cases_channel_id'))

    op.drop_table('radio_cases')
    with op.batch_alter_table('qinting_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qinting_notes_session_id'))

    op.drop_table('qinting_notes')
    op.drop_table('radio_channels')
    with op.batch_alter_table('qinting_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qinting_sessions_started_at'))
        batch_op.drop_index(batch_op.f('ix_qinting_sessions_listener'))
        batch_op.drop_index(batch_op.f('ix_qinting_sessions_conversation_id'))

    op.drop_table('qinting_sessions')
