"""Streamlit entry point: page config and the navigation, nothing else."""

from pathlib import Path

import streamlit as st

# A local icon: a Material icon as page_icon makes every browser fetch it from Google's servers.
ICON = str(Path(__file__).with_name("icon.png"))
st.set_page_config(page_title="Ridealong", page_icon=ICON, layout="wide")

pages = {
    "Coaching": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("views/managers.py", title="Managers", icon=":material/groups:"),
        st.Page("views/behaviours.py", title="Behaviours", icon=":material/psychology:"),
        st.Page("views/reps.py", title="Reps", icon=":material/person:"),
        st.Page("views/log.py", title="Log a ride-along", icon=":material/edit_note:"),
    ],
    "Review and data": [
        st.Page("views/quarterly.py", title="Quarterly review", icon=":material/event_note:"),
        st.Page("views/upload.py", title="Upload", icon=":material/upload_file:"),
    ],
}
st.navigation(pages).run()
