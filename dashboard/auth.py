"""Who is looking at this page, and may they? Every page calls :func:`require_role`.

Ways in, first match wins:

1. a person who signed in with the local form this session (users file, bcrypt);
2. a person signed in through ``st.login`` (OIDC, when ``.streamlit/secrets.toml``
   has an ``[auth]`` section); their role comes from the users file by e-mail or
   name, else *viewer*;
3. the kiosk wall: ``?kiosk=1&token=…`` matching ``settings.kiosk_token`` → the
   read-only ``kiosk``, which opens the wall and nothing else (a token for a screen
   in a lobby must not open alerts, verbatims or notes);
4. demo mode — no users file and no OIDC configured: a browser on this machine,
   while the app listens on this machine only, is ``demo`` with
   ``settings.screens.demo_role`` (lead by default); anyone else — the app
   listening on the network, a visitor through a proxy or relay — is a *viewer*
   (``dashboard.demo``).  A fresh ``gmd run`` therefore works at once on the laptop
   that runs it without handing lead rights to the network.

A hidden page is still reachable by URL, so each page checks the role itself.
"""

from __future__ import annotations

import hmac
from typing import Any

import streamlit as st

from dashboard.demo import DemoAccess, demo_access
from dashboard.i18n import t
from dashboard.services import get_settings
from dashboard.users import (
    Role,
    User,
    UserEntry,
    UsersFileError,
    load_users,
    users_path,
    verify,
)

SESSION_USER = "gmd_user"


def _entries() -> dict[str, UserEntry]:
    try:
        return load_users(users_path(get_settings()))
    except UsersFileError as exc:
        st.error(str(exc))
        st.stop()


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, OSError, ValueError):
        return False


def _oidc_user(entries: dict[str, UserEntry]) -> User | None:
    if not oidc_configured() or not st.user.is_logged_in:
        return None
    info: Any = st.user
    name = str(info.get("email") or info.get("name") or info.get("sub") or "oidc-user")
    entry = entries.get(name)
    return User(name, entry.role if entry else Role.VIEWER, "oidc")


def _kiosk_user() -> User | None:
    expected = get_settings().kiosk_token
    given = st.query_params.get("token")
    if expected is None or not given:
        return None
    if hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        return User("kiosk", Role.VIEWER, "kiosk")
    return None


def _demo_access() -> DemoAccess:
    bind = st.get_option("server.address")
    return demo_access(str(bind) if bind else None, st.context.ip_address, st.context.headers)


def current_user() -> User | None:
    """The person (or kiosk) behind this session, or ``None`` when they must sign in."""
    signed_in = st.session_state.get(SESSION_USER)
    if isinstance(signed_in, User):
        return signed_in
    entries = _entries()
    user = _oidc_user(entries) or _kiosk_user()
    if user is not None:
        return user
    if not entries and not oidc_configured():
        if _demo_access() is DemoAccess.LOCAL:
            return User("demo", Role(get_settings().screens.demo_role), "demo")
        return User("guest", Role.VIEWER, "demo")
    return None


def sign_in_form() -> None:
    """The SSO button and/or the local form; signs the person in for this session."""
    st.subheader(t("auth.sign_in"))
    if oidc_configured():
        st.button(t("auth.sso"), on_click=st.login, type="primary")
    entries = _entries()
    if not entries:
        return
    with st.form("gmd-sign-in"):
        name = st.text_input(t("auth.username"))
        password = st.text_input(t("auth.password"), type="password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        try:
            user = verify(entries, name, password)
        except UsersFileError as exc:
            st.error(str(exc))
            return
        if user is None:
            st.error(t("auth.bad_credentials"))
        else:
            st.session_state[SESSION_USER] = user
            st.rerun()


def require_role(role: Role | str, *, kiosk_allowed: bool = False) -> User:
    """The current user if their role allows this page; otherwise show the sign-in
    form or a refusal and stop the page.  A kiosk token opens only pages that say
    ``kiosk_allowed`` (the wall)."""
    needed = Role(role)
    user = current_user()
    if user is None:
        sign_in_form()
        st.stop()
    if user.via == "kiosk" and not kiosk_allowed:
        st.error(t("auth.kiosk_wall_only"))
        st.stop()
    if not user.role.allows(needed):
        st.error(
            t("auth.forbidden", role=t(f"role.{user.role.value}"), needed=t(f"role.{needed.value}"))
        )
        st.stop()
    return user


def sign_out() -> None:
    user = st.session_state.pop(SESSION_USER, None)
    if user is None and oidc_configured() and st.user.is_logged_in:
        st.logout()


def user_box(user: User) -> None:
    """Sidebar: who is signed in, demo-mode notice, sign-out."""
    st.sidebar.caption(t("auth.signed_in_as", name=user.name, role=t(f"role.{user.role.value}")))
    if user.via == "demo":
        key = {
            DemoAccess.LOCAL: "auth.demo",
            DemoAccess.NETWORK: "auth.demo_network",
            DemoAccess.REMOTE: "auth.demo_remote",
        }[_demo_access()]
        st.sidebar.info(t(key, role=t(f"role.{user.role.value}")))
    elif user.via in ("local", "oidc"):
        st.sidebar.button(t("auth.sign_out"), on_click=sign_out)
