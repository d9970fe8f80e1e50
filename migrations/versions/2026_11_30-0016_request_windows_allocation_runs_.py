"""request windows, allocation runs, appointment requests

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 01:17:30.711256
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import movilidad.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "booking_policies",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "direct",
                "request_window",
                name="booking_mode",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("longest_waiting_percent", sa.Integer(), nullable=False),
        sa.Column("priority_groups", sa.JSON(), nullable=False),
        sa.Column("offer_hours", sa.Integer(), nullable=False),
        sa.Column("hold_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_booking_policies_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_booking_policies")),
    )
    op.create_table(
        "request_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("opens_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slots_first", sa.Date(), nullable=False),
        sa.Column("slots_last", sa.Date(), nullable=False),
        sa.Column("seed", movilidad.db.types.EncryptedText(), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_request_windows_created_by_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_request_windows_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_windows")),
    )
    with op.batch_alter_table("request_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_windows_office_id"), ["office_id"], unique=False
        )

    op.create_table(
        "allocation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("ran_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("result_sha256", sa.String(length=64), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("ran_by_staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ran_by_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_allocation_runs_ran_by_staff_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["request_windows.id"],
            name=op.f("fk_allocation_runs_window_id_request_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_runs")),
        sa.UniqueConstraint("window_id", name=op.f("uq_allocation_runs_window_id")),
    )
    op.create_table(
        "appointment_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "allocated",
                "withdrawn",
                name="request_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("requested_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("after_no_show", sa.Boolean(), nullable=False),
        sa.Column("ended_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_appointment_requests_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_appointment_requests_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["request_windows.id"],
            name=op.f("fk_appointment_requests_window_id_request_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_requests")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_appointment_requests_idempotency_key")
        ),
    )
    with op.batch_alter_table("appointment_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_requests_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            "ix_appointment_requests_office_status", ["office_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_appointment_requests_window_id"), ["window_id"], unique=False
        )
        batch_op.create_index(
            "uq_appointment_requests_live_case",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('waiting', 'allocated')"),
            postgresql_where=sa.text("status IN ('waiting', 'allocated')"),
        )

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rule", sa.String(length=60), server_default="direct", nullable=False)
        )
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("arrived_at", movilidad.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("interviewer_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("slip_code_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_appointments_run_id"), ["run_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_request_id_appointment_requests"),
            "appointment_requests",
            ["request_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_slip_code_id_verification_codes"),
            "verification_codes",
            ["slip_code_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_run_id_allocation_runs"),
            "allocation_runs",
            ["run_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointments_interviewer_staff_id_staff_users"),
            "staff_users",
            ["interviewer_staff_id"],
            ["id"],
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("params")

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_interviewer_staff_id_staff_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_run_id_allocation_runs"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_slip_code_id_verification_codes"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointments_request_id_appointment_requests"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_appointments_run_id"))
        batch_op.drop_column("slip_code_id")
        batch_op.drop_column("interviewer_staff_id")
        batch_op.drop_column("arrived_at")
        batch_op.drop_column("run_id")
        batch_op.drop_column("request_id")
        batch_op.drop_column("rule")

    with op.batch_alter_table("appointment_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_appointment_requests_live_case",
            sqlite_where=sa.text("status IN ('waiting', 'allocated')"),
            postgresql_where=sa.text("status IN ('waiting', 'allocated')"),
        )
        batch_op.drop_index(batch_op.f("ix_appointment_requests_window_id"))
        batch_op.drop_index("ix_appointment_requests_office_status")
        batch_op.drop_index(batch_op.f("ix_appointment_requests_case_id"))

    op.drop_table("appointment_requests")
    op.drop_table("allocation_runs")
    with op.batch_alter_table("request_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_windows_office_id"))

    op.drop_table("request_windows")
    op.drop_table("booking_policies")
