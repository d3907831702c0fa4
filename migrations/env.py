"""Alembic environment: one linear chain of revisions for every table of the product.

The URL comes, in order, from ``-x url=...`` on the command line, from the caller
(:func:`datasources.migrate.upgrade` sets ``sqlalchemy.url``), or from the settings.
Models are imported so ``--autogenerate`` sees every table.
"""

from __future__ import annotations

from alembic import context

import alerts.models
import alerts.radio_models
from datasources.db import Base, make_engine

MODELS = (alerts.models, alerts.radio_models)

config = context.config


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    from datasources.settings import load_settings

    return load_settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
