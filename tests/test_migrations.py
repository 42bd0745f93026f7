"""Migrations: one head, and upgrading an empty database gives exactly the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade
from flask_migrate import upgrade

from portal import ROOT
from portal.cli import init_migrations
from portal.extensions import db
from tests.helpers import build_schema


def test_single_head():
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_flask_db_runs_flask_migrates_commands(app):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["db", "--help"])
    assert "upgrade" in listing.output and "--directory" in listing.output
    # Alembic prints to the stdout it found at import, not to the runner's.
    heads = runner.invoke(args=["db", "heads"])
    assert heads.exit_code == 0, heads.output


@pytest.mark.committing
def test_upgrade_from_empty_matches_models_and_downgrades(app):
    init_migrations(app)
    db.session.remove()
    db.drop_all()
    try:
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {
                "alembic_version"
            }
        assert remaining == set()
    finally:
        build_schema()
