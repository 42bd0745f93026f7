"""governance record: memoranda with versions and signatures, meetings, minutes, uploads

Revision ID: 155140b27b27
Revises: 41ce82cfcba7
Create Date: 2026-11-23 12:25:05.173285

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "155140b27b27"
down_revision = "41ce82cfcba7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("quorum_count", sa.Integer(), nullable=True),
        sa.Column(
            "quorum_basis",
            sa.Enum(
                "people",
                "organisations",
                name="quorumbasis",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "quorum_count IS NULL OR quorum_count >= 1",
            name=op.f("ck_meeting_settings_quorum_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_meeting_settings_partnership_id_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_settings")),
        sa.UniqueConstraint(
            "partnership_id", name=op.f("uq_meeting_settings_partnership_id")
        ),
    )
    op.create_table(
        "mou_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_mou_agreement_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_agreement")),
    )
    with op.batch_alter_table("mou_agreement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mou_agreement_partnership_id"),
            ["partnership_id"],
            unique=False,
        )

    op.create_table(
        "mou_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["mou_agreement.id"],
            name=op.f("fk_mou_event_agreement_id_mou_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_mou_event_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_event")),
        sa.UniqueConstraint(
            "agreement_id", "seq", name=op.f("uq_mou_event_agreement_id_seq")
        ),
    )
    op.create_table(
        "mou_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "agreed",
                "superseded",
                "ended",
                name="agreementstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), server_default="", nullable=False),
        sa.Column("vision", sa.Text(), server_default="", nullable=False),
        sa.Column("decision_protocol", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("change_note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=True),
        sa.Column("superseded_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_mou_version_end_after_start"),
        ),
        sa.CheckConstraint("number >= 1", name=op.f("ck_mou_version_number_positive")),
        sa.CheckConstraint(
            "review_on IS NULL OR review_on >= starts_on",
            name=op.f("ck_mou_version_review_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["mou_agreement.id"],
            name=op.f("fk_mou_version_agreement_id_mou_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_mou_version_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_version")),
        sa.UniqueConstraint(
            "agreement_id", "number", name=op.f("uq_mou_version_agreement_id_number")
        ),
    )
    with op.batch_alter_table("mou_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mou_version_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("storage_name", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=150), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pdf",
                "docx",
                "odt",
                name="documentkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_stored_file_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_stored_file_uploaded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_stored_file_storage_name")),
    )
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stored_file_partnership_id"),
            ["partnership_id"],
            unique=False,
        )

    op.create_table(
        "mou_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
            name=op.f("fk_mou_document_file_id_stored_file"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mou_version.id"],
            name=op.f("fk_mou_document_version_id_mou_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_document")),
        sa.UniqueConstraint("file_id", name=op.f("uq_mou_document_file_id")),
    )
    with op.batch_alter_table("mou_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mou_document_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "mou_funding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("caveat", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "amount >= 0", name=op.f("ck_mou_funding_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_mou_funding_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mou_version.id"],
            name=op.f("fk_mou_funding_version_id_mou_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_funding")),
    )
    with op.batch_alter_table("mou_funding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mou_funding_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mou_funding_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "mou_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("responsibilities", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_mou_party_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mou_version.id"],
            name=op.f("fk_mou_party_version_id_mou_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_party")),
        sa.UniqueConstraint(
            "version_id",
            "organisation_id",
            name=op.f("uq_mou_party_version_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("mou_party", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mou_party_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "mou_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("signatory_name", sa.String(length=200), nullable=False),
        sa.Column("signatory_role", sa.String(length=200), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_mou_signature_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_mou_signature_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_mou_signature_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mou_version.id"],
            name=op.f("fk_mou_signature_version_id_mou_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mou_signature")),
        sa.UniqueConstraint(
            "version_id",
            "organisation_id",
            name=op.f("uq_mou_signature_version_id_organisation_id"),
        ),
    )
    with op.batch_alter_table("mou_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mou_signature_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mou_signature_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "meeting_body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "board",
                "group",
                name="bodykind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("delivery_group_id", sa.Integer(), nullable=True),
        sa.Column("quorum_count", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "quorum_count IS NULL OR quorum_count >= 1",
            name=op.f("ck_meeting_body_quorum_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_group_id"],
            ["plan_delivery_group.id"],
            name=op.f("fk_meeting_body_delivery_group_id_plan_delivery_group"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_meeting_body_partnership_id_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_body")),
        sa.UniqueConstraint(
            "partnership_id", "name", name=op.f("uq_meeting_body_partnership_id_name")
        ),
    )
    with op.batch_alter_table("meeting_body", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_body_delivery_group_id"),
            ["delivery_group_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_body_partnership_id"),
            ["partnership_id"],
            unique=False,
        )

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=True),
        sa.Column(
            "duration_minutes", sa.Integer(), server_default="120", nullable=False
        ),
        sa.Column("place", sa.String(length=300), server_default="", nullable=False),
        sa.Column("link", sa.String(length=500), server_default="", nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column(
            "confidential", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "held",
                "cancelled",
                name="meetingstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("cancelled_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("previous_meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440",
            name=op.f("ck_meeting_duration_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["meeting_body.id"],
            name=op.f("fk_meeting_body_id_meeting_body"),
        ),
        sa.ForeignKeyConstraint(
            ["chair_id"],
            ["person.id"],
            name=op.f("fk_meeting_chair_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_meeting_partnership_id_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_previous_meeting_id_meeting"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("uid", name=op.f("uq_meeting_uid")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meeting_body_held_on", ["body_id", "held_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_chair_id"), ["chair_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_partnership_id"), ["partnership_id"], unique=False
        )

    op.create_table(
        "meeting_body_member",
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["meeting_body.id"],
            name=op.f("fk_meeting_body_member_body_id_meeting_body"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_meeting_body_member_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "body_id", "person_id", name=op.f("pk_meeting_body_member")
        ),
    )
    op.create_table(
        "meeting_agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "item",
                "previous-minutes",
                "matters-arising",
                name="itemkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column(
            "confidential", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR (duration_minutes > 0 AND duration_minutes <= 1440)",
            name=op.f("ck_meeting_agenda_item_duration_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_agenda_item_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["presenter_id"],
            ["person.id"],
            name=op.f("fk_meeting_agenda_item_presenter_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda_item")),
    )
    with op.batch_alter_table("meeting_agenda_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_agenda_item_meeting_id"),
            ["meeting_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_agenda_item_presenter_id"),
            ["presenter_id"],
            unique=False,
        )

    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "present",
                "apologies",
                "absent",
                name="attendancestatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_attendance_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_meeting_attendance_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_meeting_attendance_person_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendance")),
        sa.UniqueConstraint(
            "meeting_id",
            "person_id",
            name=op.f("uq_meeting_attendance_meeting_id_person_id"),
        ),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendance_organisation_id"),
            ["organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_attendance_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "meeting_minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "circulated",
                "approved",
                "locked",
                name="minutesstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("circulated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("circulated_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at_meeting_id", sa.Integer(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_at_meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_minutes_approved_at_meeting_id_meeting"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_minutes_approved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["circulated_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_minutes_circulated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_minutes_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minutes")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_meeting_minutes_meeting_id")),
    )
    with op.batch_alter_table("meeting_minutes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_minutes_approved_at_meeting_id"),
            ["approved_at_meeting_id"],
            unique=False,
        )

    op.create_table(
        "meeting_action",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
            name=op.f("fk_meeting_action_action_id_plan_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_action_agenda_item_id_meeting_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_action_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_meeting_action")),
    )
    with op.batch_alter_table("meeting_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_action_agenda_item_id"),
            ["agenda_item_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_action_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_decision_agenda_item_id_meeting_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_decision_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_decision_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"],
            ["meeting_minutes.id"],
            name=op.f("fk_meeting_decision_minutes_id_meeting_minutes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decision")),
        sa.UniqueConstraint(
            "minutes_id", "number", name=op.f("uq_meeting_decision_minutes_id_number")
        ),
    )
    with op.batch_alter_table("meeting_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_decision_agenda_item_id"),
            ["agenda_item_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_decision_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_matter_arising",
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["plan_action.id"],
            name=op.f("fk_meeting_matter_arising_action_id_plan_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_matter_arising_agenda_item_id_meeting_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "agenda_item_id", "action_id", name=op.f("pk_meeting_matter_arising")
        ),
    )
    with op.batch_alter_table("meeting_matter_arising", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_matter_arising_action_id"),
            ["action_id"],
            unique=False,
        )

    op.create_table(
        "meeting_minute_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_minute_entry_agenda_item_id_meeting_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"],
            ["meeting_minutes.id"],
            name=op.f("fk_meeting_minute_entry_minutes_id_meeting_minutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_minute_entry_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minute_entry")),
        sa.UniqueConstraint(
            "minutes_id",
            "agenda_item_id",
            name=op.f("uq_meeting_minute_entry_minutes_id_agenda_item_id"),
        ),
    )
    with op.batch_alter_table("meeting_minute_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_minute_entry_agenda_item_id"),
            ["agenda_item_id"],
            unique=False,
        )

    op.create_table(
        "meeting_minutes_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["minutes_id"],
            ["meeting_minutes.id"],
            name=op.f("fk_meeting_minutes_event_minutes_id_meeting_minutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_minutes_event_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minutes_event")),
        sa.UniqueConstraint(
            "minutes_id", "seq", name=op.f("uq_meeting_minutes_event_minutes_id_seq")
        ),
    )
    op.create_table(
        "meeting_minutes_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_minutes_revision_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"],
            ["meeting_minutes.id"],
            name=op.f("fk_meeting_minutes_revision_minutes_id_meeting_minutes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minutes_revision")),
        sa.UniqueConstraint(
            "minutes_id",
            "number",
            name=op.f("uq_meeting_minutes_revision_minutes_id_number"),
        ),
    )
    op.create_table(
        "meeting_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["meeting_agenda_item.id"],
            name=op.f("fk_meeting_paper_agenda_item_id_meeting_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
            name=op.f("fk_meeting_paper_file_id_stored_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_paper")),
        sa.UniqueConstraint("file_id", name=op.f("uq_meeting_paper_file_id")),
    )
    with op.batch_alter_table("meeting_paper", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_paper_agenda_item_id"),
            ["agenda_item_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("meeting_paper", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_paper_agenda_item_id"))

    op.drop_table("meeting_paper")
    op.drop_table("meeting_minutes_revision")
    op.drop_table("meeting_minutes_event")
    with op.batch_alter_table("meeting_minute_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_minute_entry_agenda_item_id"))

    op.drop_table("meeting_minute_entry")
    with op.batch_alter_table("meeting_matter_arising", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_matter_arising_action_id"))

    op.drop_table("meeting_matter_arising")
    with op.batch_alter_table("meeting_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_decision_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_decision_agenda_item_id"))

    op.drop_table("meeting_decision")
    with op.batch_alter_table("meeting_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_action_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_action_agenda_item_id"))

    op.drop_table("meeting_action")
    with op.batch_alter_table("meeting_minutes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_minutes_approved_at_meeting_id"))

    op.drop_table("meeting_minutes")
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_attendance_person_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_attendance_organisation_id"))

    op.drop_table("meeting_attendance")
    with op.batch_alter_table("meeting_agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_agenda_item_presenter_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_agenda_item_meeting_id"))

    op.drop_table("meeting_agenda_item")
    op.drop_table("meeting_body_member")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_chair_id"))
        batch_op.drop_index("ix_meeting_body_held_on")

    op.drop_table("meeting")
    with op.batch_alter_table("meeting_body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_body_partnership_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_body_delivery_group_id"))

    op.drop_table("meeting_body")
    with op.batch_alter_table("mou_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mou_signature_person_id"))
        batch_op.drop_index(batch_op.f("ix_mou_signature_organisation_id"))

    op.drop_table("mou_signature")
    with op.batch_alter_table("mou_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mou_party_organisation_id"))

    op.drop_table("mou_party")
    with op.batch_alter_table("mou_funding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mou_funding_version_id"))
        batch_op.drop_index(batch_op.f("ix_mou_funding_organisation_id"))

    op.drop_table("mou_funding")
    with op.batch_alter_table("mou_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mou_document_version_id"))

    op.drop_table("mou_document")
    with op.batch_alter_table("stored_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stored_file_partnership_id"))

    op.drop_table("stored_file")
    with op.batch_alter_table("mou_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mou_version_agreement_id"))

    op.drop_table("mou_version")
    op.drop_table("mou_event")
    with op.batch_alter_table("mou_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mou_agreement_partnership_id"))

    op.drop_table("mou_agreement")
    op.drop_table("meeting_settings")
