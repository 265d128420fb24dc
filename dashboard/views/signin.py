"""Sign-in for a shared dashboard (`ridealong serve --auth FILE`): every page needs it, the
signed-in person's grant decides what their session's queries may read (access.Scope, bound
into queries/selected_calls.sql by common.query), and what they do goes to the audit log.

Without --auth nobody signs in: the dashboard is the local single-user tool, under the store's
privacy policy (no one is known to be an admin).
"""

from __future__ import annotations

import os

import streamlit as st

from dashboard import access
from dashboard.views import common

AUTH_ENV = "RIDEALONG_AUTH"  # "1": `serve --auth` turned sign-in on
GRANT_KEY = "_grant"  # session_state: the signed-in person's access.Grant
SIGNED_IN_KEY = "_signed_in_as"  # session_state: the email the sign-in was audited for


def auth_on() -> bool:
    return os.environ.get(AUTH_ENV) == "1"


def identity() -> tuple[str, str] | None:
    """(email, name) of the signed-in person; None when nobody is signed in."""
    if not st.user.get("is_logged_in"):
        return None
    email = str(st.user.get("email") or "").strip().lower()
    name = str(st.user.get("name") or email)
    return email, name


def _audit(event: str, page: str | None = None, detail: object = None) -> None:
    common.audit_event(event, page, detail)


def gate() -> access.Grant | None:
    """Run before the navigation on every page. With sign-in on: a sign-in screen until the
    person signs in, then their grant (a person without one sees only that, and can sign out);
    the session's scope is set for common.query. Without sign-in: None (the local tool)."""
    if not auth_on():
        return None
    who = identity()
    if who is None:
        st.session_state.pop(SIGNED_IN_KEY, None)
        st.title("Ridealong")
        st.write("Sign in with your company account to see your team's coaching figures.")
        if st.button("Sign in", type="primary", icon=":material/login:", key="sign_in"):
            st.login()
        st.stop()
    email, name = who
    store = common.team_store(common.db_path())
    grant = access.grant_for(store.cursor(), email)
    if st.session_state.get(SIGNED_IN_KEY) != email:
        st.session_state[SIGNED_IN_KEY] = email
        _audit("sign_in" if grant else "denied", detail=grant.describe() if grant else None)
    with st.sidebar:
        st.caption(f"Signed in as **{common.plain(name)}**")
        if st.button("Sign out", icon=":material/logout:", key="sign_out"):
            _audit("sign_out")
            st.session_state.clear()
            st.logout()
    if grant is None:
        st.session_state.pop(GRANT_KEY, None)
        st.session_state.pop(common.SCOPE_KEY, None)
        st.title("No access yet")
        st.warning(
            f"You are signed in as {common.plain(email)}, but no one has given you access to "
            "Ridealong's figures yet. Ask your Ridealong admin to grant it with `ridealong "
            "access grant EMAIL --team TEAM` (or `--manager NAME`).",
            icon=":material/lock:",
        )
        st.stop()
    st.session_state[GRANT_KEY] = grant
    st.session_state[common.SCOPE_KEY] = common.scope_of(store, grant)
    return grant


def is_admin() -> bool:
    """May add to the store and read the audit log: an admin's grant, or the local tool."""
    return common.may_write()


def individual_reps() -> bool:
    """Whether per-rep pages and rows are shown to this session (privacy mode)."""
    return not common.session_scope().hide_reps


def audit_page(page: str) -> None:
    """Record a page view with its filters (the URL's query parameters) once per change of
    page or filters."""
    if not auth_on() or identity() is None:
        return
    filters = {k: st.query_params.get_all(k) for k in sorted(st.query_params)}
    seen = (page, repr(filters))
    if st.session_state.get("_audit_last_view") == seen:
        return
    st.session_state["_audit_last_view"] = seen
    _audit("view", page, filters or None)
