"""Start-up stays light: every CLI call and worker start builds the app."""

import subprocess
import sys

import pytest

#: Imported where a report, chart or PDF is made, never to build the app.
ANALYSIS_LIBRARIES = ("pandas", "numpy", "matplotlib", "scipy")
#: Imported when a ``flask db`` command runs.
MIGRATION_TOOLS = ("flask_migrate", "alembic")


@pytest.mark.parametrize("modules", [ANALYSIS_LIBRARIES, MIGRATION_TOOLS])
def test_creating_the_app_imports_neither_analysis_nor_migration_tools(modules):
    code = (
        "import sys; from portal import create_app; "
        "create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); "
        f"loaded = [m for m in {modules!r} if m in sys.modules]; "
        "print(*loaded); sys.exit(1 if loaded else 0)"
    )
    # A fresh interpreter, because this one has imported them for other tests.
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
