"""Streamlit entry point: page config, the sign-in gate (views/signin.py) and the navigation."""

import contextlib
from pathlib import Path

import streamlit as st

from dashboard.views import common, signin

# A local icon: a Material icon as page_icon makes every browser fetch it from Google's servers.
ICON = str(Path(__file__).with_name("icon.png"))
st.set_page_config(page_title="Ridealong", page_icon=ICON, layout="wide")

# With `serve --auth`: sign in first; a person without a grant sees only that (st.stop).
signin.gate()

coaching = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/managers.py", title="Managers", icon=":material/groups:"),
    st.Page("views/behaviours.py", title="Behaviours", icon=":material/psychology:"),
]
if signin.individual_reps():  # privacy mode turns per-rep pages off but for admins
    coaching.append(st.Page("views/reps.py", title="Reps", icon=":material/person:"))
# The pages people change filters on take turns (sessions.Turns); the others run at once. (A
# fragment's rerun does not pass through here: a filter page that gains one takes no turn.)
filter_pages = list(coaching)
coaching.append(st.Page("views/log.py", title="Log a ride-along", icon=":material/edit_note:"))
review = [
    st.Page("views/quarterly.py", title="Quarterly review", icon=":material/event_note:"),
    st.Page("views/upload.py", title="Upload", icon=":material/upload_file:"),
]
if signin.auth_on() and signin.is_admin():
    review.append(st.Page("views/audit.py", title="Audit log", icon=":material/policy:"))
pages = {"Coaching": coaching, "Review and data": review}
page = st.navigation(pages)
turn = common.page_turn() if page in filter_pages else contextlib.nullcontext()
try:
    with turn:
        page.run()
finally:
    signin.audit_page(page.title)  # with the filters (the URL) as the page left them
