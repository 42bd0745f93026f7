"""published board summaries keep their PDF

``board_summary.pdf`` holds the PDF built when the summary was published, so a
download serves it instead of rebuilding it. Summaries published before this
migration have none; the first download builds and stores it.

Revision ID: c4f81a2d7e90
Revises: c4a8f2d61e37
Create Date: 2026-12-04 18:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4f81a2d7e90"
down_revision = "c4a8f2d61e37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("board_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("board_summary", schema=None) as batch_op:
        batch_op.drop_column("pdf")
