"""Coordinators' corrections of the shipped reference data (`bot/data`), kept in the database
so that an update of the package does not undo them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class DepartmentName(Base):
    """A department's name as a coordinator set it (`/fachbereich 66 Tiefbau`); it overrides
    the name in departments.json and counts as confirmed."""

    __tablename__ = "department_names"

    number: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    changed_at: Mapped[datetime]
