"""Staff accounts and their login sessions, in the main database.

Passwords are kept as scrypt hashes (``hashlib.scrypt``, a random salt each); a session is a
random token the browser keeps in an HttpOnly cookie, stored here only as its SHA-256, with an
expiry, so a leaked database holds no usable session and logging out revokes it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import DateTime, ForeignKey, String, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from knowledge.store import engine_for

Role = Literal["agent", "admin"]  # agent: conversations and requests; admin: also staff accounts
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{2,32}$"


class Base(DeclarativeBase):
    pass


class StaffRow(Base):
    __tablename__ = "staff_user"

    username: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))


class SessionRow(Base):
    __tablename__ = "staff_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("staff_user.username", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Staff:
    username: str
    display_name: str
    role: Role


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    given = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), **SCRYPT)
    return hmac.compare_digest(given.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffStore:
    def __init__(self, url: str, session_hours: float = 12) -> None:
        self.engine = engine_for(url)
        self.session_hours = session_hours

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def add(self, username: str, display_name: str, role: Role, password: str) -> Staff:
        if not re.match(USERNAME_PATTERN, username):
            raise ValueError("用户名只能包含字母、数字和 ._-，2到32位")
        if len(password) < 8:
            raise ValueError("密码至少8位")
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(StaffRow).values(username=username, display_name=display_name, role=role,
                                                           password_hash=hash_password(password)))
        except IntegrityError as exc:
            raise ValueError(f"用户名“{username}”已存在") from exc
        return Staff(username, display_name, role)

    def accounts(self) -> list[Staff]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(StaffRow.username, StaffRow.display_name, StaffRow.role)
                                      .order_by(StaffRow.username)).all()
        return [Staff(row.username, row.display_name, row.role) for row in rows]  # type: ignore[arg-type]

    def remove(self, username: str) -> bool:
        """Delete an account and end its sessions at once; ``False`` if there was none."""
        with self.engine.begin() as connection:
            connection.execute(delete(SessionRow).where(SessionRow.username == username))
            return connection.execute(delete(StaffRow).where(StaffRow.username == username)).rowcount > 0

    def log_in(self, username: str, password: str) -> str | None:
        """A new session token, or ``None`` for an unknown user or a wrong password."""
        with self.engine.connect() as connection:
            row = connection.execute(select(StaffRow).where(StaffRow.username == username)).first()
        if row is None or not password_matches(password, row.password_hash):
            return None
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(insert(SessionRow).values(
                token_hash=_token_hash(token), username=username,
                expires_at=datetime.now(UTC) + timedelta(hours=self.session_hours)))
        return token

    def staff_for(self, token: str | None) -> Staff | None:
        if not token:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                select(StaffRow.username, StaffRow.display_name, StaffRow.role, SessionRow.expires_at)
                .join(SessionRow, SessionRow.username == StaffRow.username)
                .where(SessionRow.token_hash == _token_hash(token))).first()
        if row is None or _aware(row.expires_at) < datetime.now(UTC):
            return None
        return Staff(row.username, row.display_name, row.role)  # type: ignore[arg-type]

    def log_out(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(SessionRow).where(SessionRow.token_hash == _token_hash(token)))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
