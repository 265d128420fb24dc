"""Audit log (admins only): who signed in, what they viewed and downloaded, imports and access
changes, newest first; with the grants and the privacy policy in force."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard import access, audit, formatting
from dashboard.views import common, signin

st.title("Audit log")
if not signin.is_admin():  # the navigation offers this page to admins only
    st.error("Only an admin can read the audit log.", icon=":material/lock:")
    st.stop()
kept_in = formatting.plain(str(audit.log_path(common.db_path())))
st.caption(
    f"Kept in {kept_in}, one line per event; the same "
    "as `ridealong audit`. Grants and privacy mode change with `ridealong access ...`."
)

store = common.team_store(common.db_path())
grants = access.grants(store.cursor())
st.subheader("Who may see what")
st.caption(f"Privacy mode: {formatting.plain(access.policy(store.cursor()).describe())}.")
st.dataframe(
    pl.DataFrame(
        {
            "Email": [g.email for g in grants],
            "Access": [g.describe() for g in grants],
            "Granted": [g.granted_at for g in grants],
        },
        schema={"Email": pl.String, "Access": pl.String, "Granted": pl.Datetime},
    ),
    hide_index=True,
    width="stretch",
)

st.subheader("Events")
left, right = st.columns(2)
since = left.date_input("Since", value=dt.date.today() - dt.timedelta(days=30), key="audit_since")
email = right.text_input("Email", key="audit_email", placeholder="Everyone")
entries = audit.read(common.db_path(), since, email or None)
frame = pl.DataFrame(
    {
        "at": [e["at"] for e in entries],
        "email": [e["email"] for e in entries],
        "event": [e["event"] for e in entries],
        "page": [e["page"] for e in entries],
        "detail": [audit.detail_text(e["detail"]) for e in entries],
    },
    schema=dict.fromkeys(audit.FIELDS, pl.String),
).reverse()
if frame.is_empty():
    st.info("No events in this period.", icon=":material/history:")
else:
    st.dataframe(frame, hide_index=True, width="stretch")
    common.download_csv(frame, "ridealong_audit.csv", key="audit_csv")
