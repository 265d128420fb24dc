"""Log a ride-along: the call's plan, what the leader did, notes and the debrief; the open
debriefs; a debrief sheet to talk from; correcting and deleting a logged call. Built for a
phone's width: one column, large controls. Checks, writes and rules live in dashboard.logbook,
the sheet in dashboard.debrief; this page reads widgets and draws."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import access, debrief, formatting, logbook
from dashboard.store import StoreBusy
from dashboard.views import common

MANAGER_KEY = "log_manager"
LAST_MANAGER = "_log_last_manager"  # the manager last used in this session
FIELDS = ("log_rep", "log_date", "log_team", "log_deal", "log_role", "log_action", "log_debrief")
NOTE_IDS = "_log_note_ids"
SHEET = "_log_sheet"  # call_key of the debrief sheet shown
EDITING = "_log_editing"  # observation_id of the call being corrected
FLASH = "_log_flash"  # a message to show after the rerun that clears the form
CONFIRM_DELETE = "_log_confirm_delete"


def signed_in() -> tuple[str, str] | None:
    """(name shown as the manager, who logs) of the signed-in person; None without sign-in."""
    if not st.user.get("is_logged_in"):  # absent until sign-in is configured
        return None
    email, name = st.user.get("email"), st.user.get("name")
    return str(name or email), str(email or name)


def new_note_id() -> int:
    """A number for a note's widgets, never reused in the session (keys stay unique)."""
    st.session_state["_log_next_note"] = st.session_state.get("_log_next_note", 0) + 1
    return st.session_state["_log_next_note"]


def note_keys(note_id: int) -> tuple[str, str, str]:
    return f"log_b_{note_id}", f"log_p_{note_id}", f"log_s_{note_id}"


def clear_form() -> None:
    """Empty the form. Widgets are given their empty values rather than dropped: a dropped
    key leaves the browser showing (and sending back) the last choice."""
    st.session_state.update({key: None for key in FIELDS})
    st.session_state.update({"log_date": dt.date.today(), "log_deal": ""})
    for note_id in st.session_state.get(NOTE_IDS, []):
        for key in note_keys(note_id):
            st.session_state.pop(key, None)
    st.session_state[NOTE_IDS] = [new_note_id()]
    st.session_state.pop(EDITING, None)


def fill_form(entry: logbook.Entry) -> None:
    """Put a logged call into the form's widgets (before they are drawn)."""
    clear_form()
    st.session_state.update(
        {
            MANAGER_KEY: entry.manager,
            "log_rep": entry.rep,
            "log_date": entry.observed_on,
            "log_team": entry.team or None,
            "log_deal": entry.deal,
            "log_role": entry.planned_role,
            "log_action": entry.manager_action,
            "log_debrief": entry.debrief,
        }
    )
    ids = []
    for note in entry.notes:
        note_id = new_note_id()
        ids.append(note_id)
        behavior_widget, polarity_widget, severity_widget = note_keys(note_id)
        st.session_state.update(
            {
                behavior_widget: note.behavior,
                polarity_widget: note.polarity,
                severity_widget: note.severity,
            }
        )
    st.session_state[NOTE_IDS] = ids or [new_note_id()]
    st.session_state[EDITING] = entry.observation_id


def entry_from_form(manager: str) -> logbook.Entry:
    ss = st.session_state
    notes = [
        logbook.Note(ss.get(b) or "", ss.get(p), ss.get(s))
        for b, p, s in (note_keys(i) for i in ss[NOTE_IDS])
    ]
    return logbook.Entry(
        manager=manager or "",
        rep=ss.get("log_rep") or "",
        observed_on=ss.get("log_date"),
        manager_action=ss.get("log_action"),
        planned_role=ss.get("log_role"),
        team=ss.get("log_team") or "",
        deal=ss.get("log_deal") or "",
        debrief=ss.get("log_debrief"),
        notes=notes,
        observation_id=ss.get(EDITING),
    )


def with_current(options: list[str], value: str | None) -> list[str]:
    """The options, with a value typed earlier (a new rep...) kept choosable."""
    return options if not value or value in options else [value, *options]


# ---- the page --------------------------------------------------------------------------------

src = common.source()
st.title("Log a ride-along")
st.caption(
    "Before the call, agree your role; during it, note what the rep does well and what to fix; "
    "after it, debrief — what went well first."
)
common.banners(src)
if src.explore:
    st.info(
        "Ride-alongs are logged into the team's store: go back to the team data to log one.",
        icon=":material/info:",
    )
    st.stop()
if common.read_only():
    st.info(
        "This dashboard only reads the team's store (`serve --read-only`): log ride-alongs on "
        "the dashboard that writes it.",
        icon=":material/lock:",
    )
    st.stop()

store = src.store
today = dt.date.today()
person = signed_in()
user = person[1] if person else None
admin = logbook.is_admin(user)
choices = common.query("data_range").row(0, named=True)
if NOTE_IDS not in st.session_state:
    st.session_state[NOTE_IDS] = [new_note_id()]

# A change asked for on the last run (load a call into the form, clear it after saving) is
# made here, before any widget of the form is drawn.
pending = st.session_state.pop("_log_pending", None)
if pending == "clear":
    clear_form()
elif pending is not None:
    found = logbook.load(store.cursor(), pending, common.session_scope())
    if found is not None:
        fill_form(found[0])

flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(formatting.plain(flash), icon=":material/check_circle:")

# -- who rides along
if person:
    manager = person[0]
    st.caption(
        f"Signed in as **{formatting.plain(manager)}**: you are the manager on the calls you log."
    )
else:
    managers = choices["managers"] or []
    if MANAGER_KEY not in st.session_state and st.session_state.get(LAST_MANAGER):
        st.session_state[MANAGER_KEY] = st.session_state[LAST_MANAGER]
    manager = st.selectbox(
        "You (the manager riding along)",
        with_current(managers, st.session_state.get(MANAGER_KEY)),
        index=None,
        key=MANAGER_KEY,
        accept_new_options=True,
        placeholder="Choose or type your name",
    )

scope = common.session_scope()


def rep_of(row: dict) -> str:
    """The row's rep as this person may see it: under privacy mode named only on a
    ride-along they logged (debrief.may_name_rep), else '(hidden)'."""
    if not scope.hide_reps:
        return row["rep"]
    return debrief.shown_rep(store.cursor(), row["call_key"], user, scope) or row["rep"]


# -- open debriefs
open_rows = common.query(
    "open_debriefs", manager=manager or None, today=today, days=logbook.OPEN_DAYS
)
whose = f"{formatting.plain(manager)}'s" if manager else "All managers'"
with st.expander(
    f"Open debriefs: {len(open_rows)}",
    expanded=bool(len(open_rows)) and SHEET not in st.session_state,
):
    st.caption(
        f"{whose} calls of the last {logbook.OPEN_DAYS} days with a debrief marked later or not "
        "recorded, oldest first."
    )
    if open_rows.is_empty():
        st.write("None: every recent call has its debrief recorded.")
    for row in open_rows.iter_rows(named=True):
        left, right = st.columns([3, 1], vertical_alignment="center")
        rep = rep_of(row)
        left.markdown(
            f"**{formatting.plain(rep)}** · {row['observed_on']:%a %d %b} · debrief "
            f"{row['debrief_state']} · {row['notes']} notes"
            + ("" if manager else f" · {formatting.plain(row['manager'])}")
        )
        if rep != access.HIDDEN_REP and right.button(
            "Sheet", key=f"open_{row['call_key']}", icon=":material/description:"
        ):
            st.session_state[SHEET] = row["call_key"]
            st.rerun()


# -- the debrief sheet
def draw_sheet(call_key: str) -> None:
    window = int(st.session_state.get("f_window") or 3)
    try:
        sheet = debrief.build_sheet(
            store.cursor(),
            call_key,
            window=window,
            made_on=today,
            next_step=st.session_state.get("log_next_step", ""),
            scope=scope,
            viewer=user,
        )
    except debrief.SheetHidden as exc:
        st.session_state.pop(SHEET, None)
        st.info(str(exc), icon=":material/shield_person:")
        return
    if sheet is None:
        st.session_state.pop(SHEET, None)
        st.warning("That call is no longer in the store.")
        return
    with st.container(border=True, key="debrief_sheet"):
        st.subheader(formatting.plain(sheet.title))
        for line in sheet.facts:
            st.caption(formatting.plain(line))
        for title, intro, points, none in (
            ("What went well", debrief.WELL_INTRO, sheet.went_well, "No praise was noted."),
            ("What to fix", debrief.FIX_INTRO, sheet.to_fix, "No criticism was noted."),
        ):
            st.markdown(f"**{title}** — {intro}")
            if not points:
                st.write(none)
            for number, point in enumerate(points, start=1):
                tag = f" *({point.tag})*" if point.tag else ""
                st.markdown(
                    f"{number}. **{formatting.plain(point.behavior)}**{tag}  \n"
                    + formatting.plain(point.history)
                )
        st.text_input(
            debrief.NEXT_STEP,
            key="log_next_step",
            placeholder="Written on the sheet you download (not stored)",
        )
        st.caption(sheet.footnote)
        row = st.container(horizontal=True, gap="small")
        row.download_button(
            "HTML",
            data=lambda: common.audited(
                debrief.render_html(sheet), f"sheet {sheet.file_stem}.html"
            ),
            file_name=f"{sheet.file_stem}.html",
            mime="text/html",
            on_click="ignore",
            icon=":material/download:",
            key="sheet_html",
            help="A page to print or keep.",
        )
        row.download_button(
            "PDF",
            data=lambda: common.audited(debrief.render_pdf(sheet), f"sheet {sheet.file_stem}.pdf"),
            file_name=f"{sheet.file_stem}.pdf",
            mime="application/pdf",
            on_click="ignore",
            icon=":material/picture_as_pdf:",
            key="sheet_pdf",
        )
        if row.button("Close", key="sheet_close", icon=":material/close:"):
            st.session_state.pop(SHEET, None)
            st.rerun()
        if sheet.debrief_state in ("later", "unknown"):
            found = logbook.load(store.cursor(), call_key, common.session_scope())
            allowed, why = logbook.may_change(
                found[1] if found else None, user, logbook.now_utc(), admin
            )
            if allowed:
                if st.button(
                    "Mark the debrief held",
                    key="mark_held",
                    type="primary",
                    icon=":material/task_alt:",
                    width="stretch",
                ):
                    try:
                        logbook.mark_debrief_held(
                            store, call_key, user=user, today=today, admin=admin
                        )
                    except (logbook.NotAllowed, logbook.FormInvalid) as exc:
                        st.error(str(exc))
                    else:
                        st.session_state[FLASH] = f"Debrief with {sheet.rep} marked held."
                        st.rerun()
            else:
                st.caption(f"To mark the debrief held: {formatting.plain(why)}.")


if st.session_state.get(SHEET):
    draw_sheet(st.session_state[SHEET])

# -- the form
st.subheader("Correct a ride-along" if st.session_state.get(EDITING) else "A new ride-along")
if st.session_state.get(EDITING):
    st.info(
        f"Correcting call {st.session_state[EDITING]}: saving replaces it.",
        icon=":material/edit:",
    )
    if st.button("Cancel the correction", key="cancel_edit"):
        st.session_state["_log_pending"] = "clear"
        st.rerun()

# privacy mode: every rep reads '(hidden)', which is no one to log a call with: type the name
reps = [r for r in (choices["reps"] or []) if r != access.HIDDEN_REP]
st.selectbox(
    "Rep",
    with_current(reps, st.session_state.get("log_rep")),
    index=None,
    key="log_rep",
    accept_new_options=True,
    placeholder="Choose a rep, or type a new name",
)
st.date_input("Date of the call", value="today", key="log_date", format="YYYY-MM-DD")
teams = [t for t in (choices["teams"] or []) if t]
st.selectbox(
    "Team (optional)",
    with_current(teams, st.session_state.get("log_team")),
    index=None,
    key="log_team",
    accept_new_options=True,
    placeholder="Choose or type a team",
)
st.text_input("Deal (optional)", key="log_deal", placeholder="Which deal the call was about")
st.radio(
    "Planned role, agreed before the call",
    list(logbook.ROLES),
    index=None,
    key="log_role",
    format_func={"observer": "Observer", "participant": "Planned part"}.get,
    captions=[v.split(": ", 1)[1] for v in logbook.ROLES.values()],
)

st.markdown("**After the call**")
st.radio(
    "What you did on the call",
    list(logbook.ACTIONS),
    index=None,
    key="log_action",
    format_func={"observed": "Observed", "assisted": "Assisted", "took_over": "Took over"}.get,
    captions=[v.split(": ", 1)[1] for v in logbook.ACTIONS.values()],
)

st.markdown("**Notes** — what the rep did well, and what to fix")
behaviors = common.query("behavior_choices", team=st.session_state.get("log_team"))["behavior"]
behaviors = behaviors.to_list()
for number, note_id in enumerate(list(st.session_state[NOTE_IDS]), start=1):
    behavior_widget, polarity_widget, severity_widget = note_keys(note_id)
    with st.container(border=True, key=f"note_box_{note_id}"):
        st.selectbox(
            f"Behaviour {number}",
            with_current(behaviors, st.session_state.get(behavior_widget)),
            index=None,
            key=behavior_widget,
            accept_new_options=True,
            placeholder="Type to find one your team uses, or a new one",
        )
        st.segmented_control(
            f"Praise or criticism {number}",
            list(logbook.POLARITIES),
            key=polarity_widget,
            format_func=str.capitalize,
            label_visibility="collapsed",
        )
        if st.session_state.get(polarity_widget) == "criticism":
            st.segmented_control(
                f"Severity {number}",
                list(logbook.SEVERITIES),
                key=severity_widget,
                format_func=str.capitalize,
            )
        if len(st.session_state[NOTE_IDS]) > 1 and st.button(
            "Remove this note", key=f"remove_{note_id}", icon=":material/delete:"
        ):
            st.session_state[NOTE_IDS].remove(note_id)
            st.rerun()
if st.button("Add a note", key="add_note", icon=":material/add:"):
    st.session_state[NOTE_IDS].append(new_note_id())
    st.rerun()

st.radio(
    "Debrief held",
    list(logbook.DEBRIEFS),
    index=None,
    key="log_debrief",
    format_func=str.capitalize,
    captions=[v.split(": ", 1)[1] for v in logbook.DEBRIEFS.values()],
)
if store.is_sample():
    st.caption("Saving replaces the bundled sample data: the store then holds your calls.")

if st.button("Save the ride-along", key="log_save", type="primary", width="stretch"):
    entry = entry_from_form(manager or "")
    told = st.empty()
    try:
        with st.spinner("Saving…"):
            saved = logbook.save(
                store,
                entry,
                user=user,
                today=today,
                admin=admin,
                other_process=lambda holder: told.info(
                    common.other_writer_text(holder, store.wait), icon=":material/hourglass_top:"
                ),
            )
    except StoreBusy as exc:
        told.empty()
        st.error(common.busy_text(exc, store.wait, "saved"), icon=":material/schedule:")
    except logbook.FormInvalid as exc:
        st.error(
            "Nothing was saved. Please fix:\n\n" + "\n".join(f"- {p}" for p in exc.problems),
            icon=":material/error:",
        )
    except logbook.NotAllowed as exc:
        st.error(f"Nothing was saved: {formatting.plain(exc)}.", icon=":material/block:")
    else:
        notes = sum(1 for note in entry.notes if not note.blank())
        verb = "Corrected" if saved.edited else "Saved"
        common.audit_event("import", "Log a ride-along", f"{verb.lower()} {saved.observation_id}")
        st.session_state[FLASH] = (
            f"{verb}: {entry.rep.strip()}, {entry.observed_on:%a %d %b %Y}, {notes} "
            f"note{'' if notes == 1 else 's'} (call {saved.observation_id})."
        )
        st.session_state[LAST_MANAGER] = entry.manager
        st.session_state[SHEET] = saved.call_key
        st.session_state["_log_pending"] = "clear"
        st.rerun()

# -- calls logged here lately: correct, delete, debrief
st.divider()
# an admin may change any logged call, however old; others those of the last EDIT_DAYS days
since = dt.date(1970, 1, 1) if admin else today - dt.timedelta(days=logbook.EDIT_DAYS)
mine = common.query(
    "logged_calls",
    manager=None if (admin or person) else (manager or None),
    logged_by=None if admin else user,
    since=since,
)
st.subheader("Your recent ride-alongs")
st.caption(
    ("Calls logged here" if admin else f"Calls logged here in the last {logbook.EDIT_DAYS} days")
    + (
        f" by {formatting.plain(user)}"
        if user and not admin
        else f" for {formatting.plain(manager)}"
        if manager and not person
        else ""
    )
    + f": the person who logged a call can correct or delete it for {logbook.EDIT_DAYS} days."
)
if mine.is_empty():
    st.write("None yet.")
for row in mine.iter_rows(named=True):
    key = row["call_key"]
    with st.container(border=True, key=f"logged_{key}"):
        rep = rep_of(row)
        st.markdown(
            f"**{formatting.plain(rep)}** · {row['observed_on']:%a %d %b %Y} · "
            f"{row['notes']} notes · debrief {row['debrief_state']}"
            + (f" · {formatting.plain(row['deal'])}" if row["deal"] else "")
        )
        allowed, why = logbook.may_change(
            logbook.Logged(row["logged_by"], row["logged_at"]), user, logbook.now_utc(), admin
        )
        buttons = st.container(horizontal=True, gap="small")
        if rep != access.HIDDEN_REP and buttons.button(
            "Sheet", key=f"sheet_{key}", icon=":material/description:"
        ):
            st.session_state[SHEET] = key
            st.rerun()
        if allowed and buttons.button("Correct", key=f"edit_{key}", icon=":material/edit:"):
            st.session_state["_log_pending"] = key
            st.rerun()
        if allowed and buttons.button("Delete", key=f"delete_{key}", icon=":material/delete:"):
            st.session_state[CONFIRM_DELETE] = key
            st.rerun()
        if not allowed:
            st.caption(why)
        if st.session_state.get(CONFIRM_DELETE) == key:
            st.warning("Delete this call and its notes? The deletion is kept in the imports log.")
            yes, no = st.columns(2)
            if yes.button("Delete for good", key=f"confirm_{key}", type="primary"):
                try:
                    logbook.delete(store, key, user=user, admin=admin)
                except logbook.NotAllowed as exc:
                    st.error(f"Not deleted: {formatting.plain(exc)}.")
                else:
                    common.audit_event("undo", "Log a ride-along", f"deleted {key}")
                    st.session_state.pop(CONFIRM_DELETE, None)
                    if st.session_state.get(SHEET) == key:
                        st.session_state.pop(SHEET, None)
                    st.session_state[FLASH] = f"Deleted: {rep}, {row['observed_on']:%d %b %Y}."
                    st.rerun()
            if no.button("Keep it", key=f"keep_{key}"):
                st.session_state.pop(CONFIRM_DELETE, None)
                st.rerun()
