"""``gmd users``: manage the local users file (for sites without an identity provider).

``gmd users add alice --role lead`` asks for a password twice and stores only its
bcrypt hash, in ``GMD_USERS_FILE`` or ``<data dir>/users.yaml`` (which the app reads
when it exists).  ``--no-password`` makes an entry for an OIDC user: their role only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.users import Role, UsersFileError, add_user, load_users, users_path
from gmd.errors import fail, settings_or_exit

users_app: typer.Typer = typer.Typer(
    help="Local users and roles for the screens (viewer, lead, admin)."
)


def _file(file: Path | None) -> Path:
    return file or users_path(settings_or_exit())


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="User name (or e-mail of an OIDC user).")],
    role: Annotated[Role, typer.Option(help="viewer, lead or admin.")] = Role.VIEWER,
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when omitted).", show_default=False)
    ] = None,
    no_password: Annotated[bool, typer.Option(help="OIDC user: role only.")] = False,
    file: Annotated[Path | None, typer.Option(help="Users file to write.")] = None,
) -> None:
    """Create or replace a user."""
    path = _file(file)
    if not no_password and not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(path, name, role, None if no_password else password)
    except UsersFileError as exc:
        fail(str(exc))
    typer.echo(f"{name}: {role.value} in {path}")


@users_app.command("list")
def list_command(
    file: Annotated[Path | None, typer.Option(help="Users file to read.")] = None,
) -> None:
    """Show every user and role (never the hashes)."""
    path = _file(file)
    try:
        entries = load_users(path)
    except UsersFileError as exc:
        fail(str(exc))
    if not entries:
        typer.echo(f"no users in {path}: the app runs in demo mode (see docs/screens.md)")
    for entry in entries.values():
        kind = "password" if entry.password_hash else "oidc"
        typer.echo(f"{entry.name}\t{entry.role.value}\t{kind}")
