"""board progress summaries: drafts and frozen summaries presented to board meetings

board_summary holds a partnership's summary for a meeting or reporting period:
live figures while a draft, and once published the figures (JSON), the text and
the meeting's agenda item, never changed after (see governance/summary.py).
board_summary_chart holds each published summary's charts as presented: the
SVG shown on the page and the PNG used in the PDF.

Revision ID: 571b0a360196
Revises: 731a652ca287
Create Date: 2026-11-23 13:26:32.544373

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "571b0a360196"
down_revision = "731a652ca287"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "board_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                name="summarystatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column(
            "text_basis", sa.String(length=64), server_default="", nullable=False
        ),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "status = 'draft' OR (figures IS NOT NULL AND text IS NOT NULL AND published_at IS NOT NULL)",
            name=op.f("ck_board_summary_published_is_frozen"),
        ),
        sa.CheckConstraint(
            "until IS NULL OR since <= until",
            name=op.f("ck_board_summary_period_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_board_summary_agenda_item_id_meeting_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_board_summary_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_board_summary_meeting_id_meeting"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_board_summary_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_board_summary_published_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_summary")),
    )
    with op.batch_alter_table("board_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_board_summary_agenda_item_id"),
            ["agenda_item_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_board_summary_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_board_summary_partnership_id"),
            ["partnership_id"],
            unique=False,
        )

    op.create_table(
        "board_summary_chart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("svg", sa.Text(), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["summary_id"],
            ["board_summary.id"],
            name=op.f("fk_board_summary_chart_summary_id_board_summary"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_summary_chart")),
        sa.UniqueConstraint(
            "summary_id", "key", name=op.f("uq_board_summary_chart_summary_id_key")
        ),
    )


def downgrade():
    op.drop_table("board_summary_chart")
    with op.batch_alter_table("board_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_summary_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_board_summary_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_board_summary_agenda_item_id"))

    op.drop_table("board_summary")
