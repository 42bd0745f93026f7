"""anonymous responses held back from results until released in batches

``survey_response.held_back`` marks an anonymous response that results leave out
while its wave is open; see surveys/release.py. Existing responses are released.

Revision ID: 9d2e7c41a0b5
Revises: 571b0a360196
Create Date: 2026-12-01 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9d2e7c41a0b5"
down_revision = "571b0a360196"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "held_back", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_column("held_back")
