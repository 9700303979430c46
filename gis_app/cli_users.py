"""``sanigrid user``: people who sign in to the pages (the password is asked for, never a flag)."""
from __future__ import annotations

import sys

import click

from .errors import SanigridError

__all__ = ["user"]


def _password() -> str:
    """Ask twice on a terminal; read one line from stdin when it is not one (scripts, tests)."""
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@click.group()
def user():
    """Create, list and disable users who sign in to the pages."""


@user.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "editor", "viewer"]))
@click.option("--district", help="limit the user to this district (6-digit code): its pages, reads and writes")
@click.pass_context
def user_create(ctx, name, role, district):
    """Create a user; the password comes from a prompt (or stdin) and is stored as an argon2 hash."""
    from .cli import _App, _fail
    from .users import create_user
    app = ctx.ensure_object(_App)
    try:
        user_id = create_user(app.engine, name, _password(), role, district=district)
    except SanigridError as exc:
        _fail(exc)
    click.echo(f"user {user_id} {name} ({role}{' in ' + district if district else ''}) created")


@user.command("list")
@click.pass_context
def user_list(ctx):
    """List users (never their password hashes)."""
    from .cli import _App
    from .users import list_users
    for u in list_users(ctx.ensure_object(_App).engine):
        click.echo(f"{u['id']}\t{u['name']}\t{u['role']}\t{u['district'] or '-'}\t"
                   f"{'disabled' if u['disabled'] else 'active'}")


@user.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx, name):
    """Disable a user: its sessions end at their next request."""
    from .cli import _App, _fail
    from .users import disable_user
    try:
        disable_user(ctx.ensure_object(_App).engine, name)
    except SanigridError as exc:
        _fail(exc)
    click.echo(f"user {name} disabled")
