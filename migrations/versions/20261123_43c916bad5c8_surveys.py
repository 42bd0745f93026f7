"""surveys: questionnaire, waves, sample, invitations, answers and the email queue

Revision ID: 43c916bad5c8
Revises: 687fce899c4b
Create Date: 2026-11-23 11:04:04.651398

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "43c916bad5c8"
down_revision = "687fce899c4b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("introduction", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "identified",
                "anonymous",
                name="surveymode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column(
            "max_per_organisation", sa.Integer(), server_default="3", nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "(partnership_id IS NULL) <> (programme_id IS NULL)",
            name=op.f("ck_survey_one_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_survey_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_survey_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
        sa.UniqueConstraint("slug", name=op.f("uq_survey_slug")),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_partnership_id"), ["partnership_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "survey_message_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invitation",
                "reminder",
                "receipt",
                name="messagekind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_message_template_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_message_template")),
        sa.UniqueConstraint(
            "survey_id", "kind", name=op.f("uq_survey_message_template_survey_id_kind")
        ),
    )
    with op.batch_alter_table("survey_message_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_message_template_survey_id"),
            ["survey_id"],
            unique=False,
        )

    op.create_table(
        "survey_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("preamble", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_section_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_section")),
    )
    with op.batch_alter_table("survey_section", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_section_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("context_notes", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "override",
            sa.Enum(
                "open",
                "closed",
                name="waveoverride",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "closes_on >= opens_on", name=op.f("ck_survey_wave_dates_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_wave_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_wave")),
        sa.UniqueConstraint(
            "survey_id", "number", name=op.f("uq_survey_wave_survey_id_number")
        ),
    )
    with op.batch_alter_table("survey_wave", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_wave_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("started", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("invitations_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reminders_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bounces", sa.Integer(), server_default="0", nullable=False),
        sa.Column("resume_section", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_survey_invitation_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_survey_invitation_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_survey_invitation_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["survey_wave.id"],
            name=op.f("fk_survey_invitation_wave_id_survey_wave"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitation")),
        sa.UniqueConstraint(
            "wave_id", "person_id", name=op.f("uq_survey_invitation_wave_id_person_id")
        ),
    )
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_partnership_id"),
            ["partnership_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_wave_id"), ["wave_id"], unique=False
        )

    op.create_table(
        "survey_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "likert",
                "single",
                "multi",
                "text",
                "number",
                name="itemtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("scale", sa.String(length=16), server_default="", nullable=False),
        sa.Column("options", sa.Text(), server_default="", nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["survey_section.id"],
            name=op.f("fk_survey_item_section_id_survey_section"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_survey_item_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_item")),
        sa.UniqueConstraint(
            "survey_id", "code", name=op.f("uq_survey_item_survey_id_code")
        ),
    )
    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_item_section_id"), ["section_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_item_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("import_row", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_survey_response_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_survey_response_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["survey_wave.id"],
            name=op.f("fk_survey_response_wave_id_survey_wave"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_response_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_response_partnership_id"),
            ["partnership_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_response_wave_id"), ["wave_id"], unique=False
        )

    op.create_table(
        "survey_answer",
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["survey_item.id"],
            name=op.f("fk_survey_answer_item_id_survey_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_survey_answer_response_id_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "response_id", "item_id", name=op.f("pk_survey_answer")
        ),
    )
    op.create_table(
        "survey_draft_answer",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitation.id"],
            name=op.f("fk_survey_draft_answer_invitation_id_survey_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["survey_item.id"],
            name=op.f("fk_survey_draft_answer_item_id_survey_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "invitation_id", "item_id", name=op.f("pk_survey_draft_answer")
        ),
    )
    op.create_table(
        "survey_invitation_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitation.id"],
            name=op.f("fk_survey_invitation_token_invitation_id_survey_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitation_token")),
        sa.UniqueConstraint(
            "token_hash", name=op.f("uq_survey_invitation_token_token_hash")
        ),
    )
    with op.batch_alter_table("survey_invitation_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_token_invitation_id"),
            ["invitation_id"],
            unique=False,
        )

    op.create_table(
        "survey_item_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("scale", sa.String(length=16), server_default="", nullable=False),
        sa.Column("last_wave", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_survey_item_revision_changed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["survey_item.id"],
            name=op.f("fk_survey_item_revision_item_id_survey_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_item_revision")),
    )
    with op.batch_alter_table("survey_item_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_item_revision_item_id"), ["item_id"], unique=False
        )

    op.create_table(
        "survey_outgoing_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invitation",
                "reminder",
                "receipt",
                name="messagekind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "bounced",
                "skipped",
                "failed",
                name="deliverystatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitation.id"],
            name=op.f("fk_survey_outgoing_message_invitation_id_survey_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_outgoing_message")),
    )
    with op.batch_alter_table("survey_outgoing_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_outgoing_message_invitation_id"),
            ["invitation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_survey_outgoing_message_status"), ["status"], unique=False
        )

    op.create_table(
        "survey_response_owner",
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitation.id"],
            name=op.f("fk_survey_response_owner_invitation_id_survey_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
            name=op.f("fk_survey_response_owner_response_id_survey_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_survey_response_owner")),
        sa.UniqueConstraint(
            "invitation_id", name=op.f("uq_survey_response_owner_invitation_id")
        ),
    )


def downgrade():
    op.drop_table("survey_response_owner")
    with op.batch_alter_table("survey_outgoing_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_outgoing_message_status"))
        batch_op.drop_index(batch_op.f("ix_survey_outgoing_message_invitation_id"))

    op.drop_table("survey_outgoing_message")
    with op.batch_alter_table("survey_item_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_item_revision_item_id"))

    op.drop_table("survey_item_revision")
    with op.batch_alter_table("survey_invitation_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitation_token_invitation_id"))

    op.drop_table("survey_invitation_token")
    op.drop_table("survey_draft_answer")
    op.drop_table("survey_answer")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_response_wave_id"))
        batch_op.drop_index(batch_op.f("ix_survey_response_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_survey_response_organisation_id"))

    op.drop_table("survey_response")
    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_item_survey_id"))
        batch_op.drop_index(batch_op.f("ix_survey_item_section_id"))

    op.drop_table("survey_item")
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitation_wave_id"))
        batch_op.drop_index(batch_op.f("ix_survey_invitation_person_id"))
        batch_op.drop_index(batch_op.f("ix_survey_invitation_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_survey_invitation_organisation_id"))

    op.drop_table("survey_invitation")
    with op.batch_alter_table("survey_wave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_wave_survey_id"))

    op.drop_table("survey_wave")
    with op.batch_alter_table("survey_section", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_section_survey_id"))

    op.drop_table("survey_section")
    with op.batch_alter_table("survey_message_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_message_template_survey_id"))

    op.drop_table("survey_message_template")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_programme_id"))
        batch_op.drop_index(batch_op.f("ix_survey_partnership_id"))

    op.drop_table("survey")
