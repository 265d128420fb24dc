"""The Upload page's words a new user tripped on: value labels showed literal backticks, an
XLSX preview showed dates as '2026-01-05 00:00:00', and the first "Add to the team's store"
replaced the sample without saying so beforehand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

DATA = Path(__file__).resolve().parent / "data"
PAGE = "views/upload.py"


def drop(at, name: str, content: bytes, mime: str = "text/csv"):
    at.file_uploader(key="upl_files").set_value([(name, content, mime)]).run()
    assert not at.exception, at.exception
    return at


def test_unknown_values_are_labelled_in_quotes_not_backticks(app, sample_store: Path) -> None:
    log = (
        "observed_on,manager,rep,manager_action,behavior,polarity\n"
        "2026-03-02,Dana,Eli,Shadowed,Asked good questions,kudos\n"
    )
    at = drop(app(sample_store, page=PAGE), "export.csv", log.encode())
    labels = {s.key: s.label for s in at.selectbox if s.key and s.key.startswith("upl_v:")}
    assert labels == {
        "upl_v:manager_action:shadowed": "manager_action: “Shadowed”",
        "upl_v:polarity:kudos": "polarity: “kudos”",
    }


def test_an_xlsx_preview_shows_dates_as_the_sheet_does(
    app, sample_store: Path, tmp_path: Path
) -> None:
    path = tmp_path / "export.xlsx"
    pl.DataFrame(
        {
            "observed_on": [dt.date(2026, 1, 5)],
            "manager": ["Dana"],
            "rep": ["Eli"],
            "manager_action": ["observed"],
        }
    ).write_excel(path)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at = drop(app(sample_store, page=PAGE), "export.xlsx", path.read_bytes(), xlsx)
    preview = next(d.value for d in at.dataframe if "observed_on" in d.value.columns)
    assert list(preview["observed_on"]) == ["2026-01-05"]


def test_adding_to_a_store_holding_the_sample_says_it_replaces_the_sample(
    app, sample_store: Path
) -> None:
    at = drop(app(sample_store, page=PAGE), "tiny.csv", (DATA / "tiny.csv").read_bytes())
    notes = [c.value for c in at.caption]
    assert (
        "**The team's store holds only the bundled sample: adding removes the sample first.**"
        in notes
    )


def test_a_two_row_merged_header_says_to_delete_the_group_titles(app, sample_store: Path) -> None:
    at = drop(
        app(sample_store, page=PAGE),
        "merged.csv",
        (DATA / "form_merged_header.csv").read_bytes(),
    )
    shown = " ".join(
        str(v) for d in at.dataframe for v in d.value.to_dict("list").get("problem", [])
    )
    shown += " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "holds group titles over merged cells ('Call', 'Coaching')" in shown
