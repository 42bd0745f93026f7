"""drop login_attempt: rate-limit counters move to Flask-Limiter

Failed sign-ins and bad emailed links were rows of one table, counted together per
address, so one office's bad survey links locked its coordinator out. The counters
now live in Flask-Limiter's storage (Redis, or memory), one per kind; see
portal/throttling.py. The rows are only recent failures, so nothing of value is lost;
the downgrade recreates the empty table.

Revision ID: b7d3e1f0a92c
Revises: 9d2e7c41a0b5
Create Date: 2026-12-04 18:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7d3e1f0a92c"
down_revision = "9d2e7c41a0b5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_email"))
        batch_op.drop_index(batch_op.f("ix_login_attempt_created_at"))
        batch_op.drop_index(batch_op.f("ix_login_attempt_address"))
    op.drop_table("login_attempt")


def downgrade():
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_attempt_address"), ["address"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_attempt_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_login_attempt_email"), ["email"], unique=False
        )
