"""Streamlit entry point: page config and the navigation, nothing else."""

import streamlit as st

st.set_page_config(page_title="Ridealong", page_icon=":material/directions_car:", layout="wide")

pages = {
    "Coaching": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("views/managers.py", title="Managers", icon=":material/groups:"),
        st.Page("views/behaviours.py", title="Behaviours", icon=":material/psychology:"),
        st.Page("views/reps.py", title="Reps", icon=":material/person:"),
    ],
    "Review and data": [
        st.Page("views/quarterly.py", title="Quarterly review", icon=":material/event_note:"),
        st.Page("views/upload.py", title="Upload", icon=":material/upload_file:"),
    ],
}
st.navigation(pages).run()
