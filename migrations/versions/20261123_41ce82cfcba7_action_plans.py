"""action plans: strategies, themes, delivery groups, actions with history, indicators

Revision ID: 41ce82cfcba7
Revises: 43c916bad5c8
Create Date: 2026-11-23 12:12:45.541010

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "41ce82cfcba7"
down_revision = "43c916bad5c8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plan_strategy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_plan_strategy_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_plan_strategy_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_strategy")),
        sa.UniqueConstraint("slug", name=op.f("uq_plan_strategy_slug")),
    )
    with op.batch_alter_table("plan_strategy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_strategy_partnership_id"),
            ["partnership_id"],
            unique=False,
        )

    op.create_table(
        "plan_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("target_pct", sa.Float(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "up",
                "down",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amber_margin_pp", sa.Float(), server_default="5", nullable=False),
        sa.CheckConstraint(
            "amber_margin_pp >= 0", name=op.f("ck_plan_indicator_margin_positive")
        ),
        sa.CheckConstraint(
            "target_pct >= 0 AND target_pct <= 100",
            name=op.f("ck_plan_indicator_target_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["plan_strategy.id"],
            name=op.f("fk_plan_indicator_strategy_id_plan_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicator")),
        sa.UniqueConstraint(
            "strategy_id", "name", name=op.f("uq_plan_indicator_strategy_id_name")
        ),
    )
    with op.batch_alter_table("plan_indicator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_indicator_strategy_id"), ["strategy_id"], unique=False
        )

    op.create_table(
        "plan_theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["plan_theme.id"],
            name=op.f("fk_plan_theme_merged_into_id_plan_theme"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["plan_strategy.id"],
            name=op.f("fk_plan_theme_strategy_id_plan_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_theme")),
        sa.UniqueConstraint(
            "strategy_id", "name", name=op.f("uq_plan_theme_strategy_id_name")
        ),
    )
    with op.batch_alter_table("plan_theme", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_theme_strategy_id"), ["strategy_id"], unique=False
        )

    op.create_table(
        "plan_delivery_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chair_id"],
            ["person.id"],
            name=op.f("fk_plan_delivery_group_chair_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["plan_delivery_group.id"],
            name=op.f("fk_plan_delivery_group_merged_into_id_plan_delivery_group"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["plan_strategy.id"],
            name=op.f("fk_plan_delivery_group_strategy_id_plan_strategy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["plan_theme.id"],
            name=op.f("fk_plan_delivery_group_theme_id_plan_theme"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_delivery_group")),
        sa.UniqueConstraint(
            "strategy_id", "name", name=op.f("uq_plan_delivery_group_strategy_id_name")
        ),
    )
    with op.batch_alter_table("plan_delivery_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_delivery_group_chair_id"), ["chair_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_delivery_group_strategy_id"),
            ["strategy_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plan_delivery_group_theme_id"), ["theme_id"], unique=False
        )

    op.create_table(
        "plan_indicator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period_label", sa.String(length=64), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("numerator", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "denominator > 0", name=op.f("ck_plan_indicator_value_denominator_positive")
        ),
        sa.CheckConstraint(
            "numerator >= 0 AND numerator <= denominator",
            name=op.f("ck_plan_indicator_value_numerator_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["plan_indicator.id"],
            name=op.f("fk_plan_indicator_value_indicator_id_plan_indicator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_plan_indicator_value_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicator_value")),
        sa.UniqueConstraint(
            "indicator_id",
            "period_end",
            name=op.f("uq_plan_indicator_value_indicator_id_period_end"),
        ),
    )
    op.create_table(
        "plan_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("delivery_group_id", sa.Integer(), nullable=True),
        sa.Column("lead_organisation_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("original_due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not started",
                "in progress",
                "completed",
                "carried forward",
                "discontinued",
                name="actionstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "rag",
            sa.Enum(
                "red",
                "amber",
                "green",
                "none",
                name="rag",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress_pct", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "carried_forward_count", sa.Integer(), server_default="0", nullable=False
        ),
        sa.Column("carry_forward_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("origin", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "completed_on IS NULL OR status = 'completed'",
            name=op.f("ck_plan_action_completed_on_only_when_completed"),
        ),
        sa.CheckConstraint(
            "carried_forward_count >= 0",
            name=op.f("ck_plan_action_carried_count_positive"),
        ),
        sa.CheckConstraint(
            "progress_pct >= 0 AND progress_pct <= 100",
            name=op.f("ck_plan_action_progress_in_range"),
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR due_date >= start_date",
            name=op.f("ck_plan_action_due_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_group_id"],
            ["plan_delivery_group.id"],
            name=op.f("fk_plan_action_delivery_group_id_plan_delivery_group"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_plan_action_lead_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["person.id"], name=op.f("fk_plan_action_owner_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["plan_strategy.id"],
            name=op.f("fk_plan_action_strategy_id_plan_strategy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["plan_theme.id"],
            name=op.f("fk_plan_action_theme_id_plan_theme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action")),
        sa.UniqueConstraint(
            "strategy_id", "ref", name=op.f("uq_plan_action_strategy_id_ref")
        ),
    )
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_action_delivery_group_id"),
            ["delivery_group_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plan_action_lead_organisation_id"),
            ["lead_organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plan_action_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            "ix_plan_action_strategy_due", ["strategy_id", "due_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_action_theme_id"), ["theme_id"], unique=False
        )

    op.create_table(
        "plan_delivery_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["plan_delivery_group.id"],
            name=op.f("fk_plan_delivery_group_member_group_id_plan_delivery_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_plan_delivery_group_member_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "person_id", name=op.f("pk_plan_delivery_group_member")
        ),
    )
    op.create_table(
        "plan_action_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
            name=op.f("fk_plan_action_event_action_id_plan_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_plan_action_event_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_plan_action_event_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action_event")),
    )
    with op.batch_alter_table("plan_action_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_action_event_action_effective",
            ["action_id", "effective_on"],
            unique=False,
        )

    op.create_table(
        "plan_action_indicator",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
            name=op.f("fk_plan_action_indicator_action_id_plan_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["plan_indicator.id"],
            name=op.f("fk_plan_action_indicator_indicator_id_plan_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "action_id", "indicator_id", name=op.f("pk_plan_action_indicator")
        ),
    )
    op.create_table(
        "plan_action_survey_item",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
            name=op.f("fk_plan_action_survey_item_action_id_plan_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["survey_item.id"],
            name=op.f("fk_plan_action_survey_item_item_id_survey_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "action_id", "item_id", name=op.f("pk_plan_action_survey_item")
        ),
    )
    op.create_table(
        "plan_action_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("narrative", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not started",
                "in progress",
                "completed",
                "carried forward",
                "discontinued",
                name="actionstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "rag",
            sa.Enum(
                "red",
                "amber",
                "green",
                "none",
                name="rag",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress_pct", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "progress_pct >= 0 AND progress_pct <= 100",
            name=op.f("ck_plan_action_update_progress_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
            name=op.f("fk_plan_action_update_action_id_plan_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_plan_action_update_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_plan_action_update_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action_update")),
    )
    with op.batch_alter_table("plan_action_update", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_action_update_action_id"), ["action_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_plan_action_update_person_id"), ["person_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("plan_action_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_update_person_id"))
        batch_op.drop_index(batch_op.f("ix_plan_action_update_action_id"))

    op.drop_table("plan_action_update")
    op.drop_table("plan_action_survey_item")
    op.drop_table("plan_action_indicator")
    with op.batch_alter_table("plan_action_event", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_action_event_action_effective")

    op.drop_table("plan_action_event")
    op.drop_table("plan_delivery_group_member")
    with op.batch_alter_table("plan_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_action_theme_id"))
        batch_op.drop_index("ix_plan_action_strategy_due")
        batch_op.drop_index(batch_op.f("ix_plan_action_owner_id"))
        batch_op.drop_index(batch_op.f("ix_plan_action_lead_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_plan_action_delivery_group_id"))

    op.drop_table("plan_action")
    op.drop_table("plan_indicator_value")
    with op.batch_alter_table("plan_delivery_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_delivery_group_theme_id"))
        batch_op.drop_index(batch_op.f("ix_plan_delivery_group_strategy_id"))
        batch_op.drop_index(batch_op.f("ix_plan_delivery_group_chair_id"))

    op.drop_table("plan_delivery_group")
    with op.batch_alter_table("plan_theme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_theme_strategy_id"))

    op.drop_table("plan_theme")
    with op.batch_alter_table("plan_indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_indicator_strategy_id"))

    op.drop_table("plan_indicator")
    with op.batch_alter_table("plan_strategy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_strategy_partnership_id"))

    op.drop_table("plan_strategy")
