"""plan update links: hashed single-use tokens emailed to action owners

Only the SHA-256 hash of each token is stored; see governance/plan_tokens.py.

Revision ID: 731a652ca287
Revises: 155140b27b27
Create Date: 2026-11-23 13:10:29.475756

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "731a652ca287"
down_revision = "155140b27b27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plan_update_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_plan_update_token_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_plan_update_token_sent_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["plan_strategy.id"],
            name=op.f("fk_plan_update_token_strategy_id_plan_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_update_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_plan_update_token_token_hash")),
    )
    with op.batch_alter_table("plan_update_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_update_token_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_update_token_strategy_id"),
            ["strategy_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("plan_update_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_update_token_strategy_id"))
        batch_op.drop_index(batch_op.f("ix_plan_update_token_person_id"))

    op.drop_table("plan_update_token")
