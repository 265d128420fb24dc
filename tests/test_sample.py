"""dashboard.sample: the synthetic observation log and its built-in coaching effects."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from dashboard import sample

EXPECTED_COLUMNS = [
    "observation_id",
    "observed_on",
    "team",
    "manager",
    "rep",
    "planned_role",
    "manager_action",
    "debrief",
    "behavior",
    "polarity",
    "severity",
    "category",
    "deal",
    "deal_value",
    "outcome",
]
CALL_COLUMNS = [
    "observed_on",
    "team",
    "manager",
    "rep",
    "planned_role",
    "manager_action",
    "debrief",
    "deal",
    "deal_value",
    "outcome",
]
WINDOW = 3  # "recurred" / "repeated" look-ahead, in the rep's calls


def norm(expr: pl.Expr) -> pl.Expr:
    """A behaviour, case- and space-insensitive."""
    return expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


@pytest.fixture(scope="module")
def log() -> pl.DataFrame:
    return sample.generate(20_000, seed=7)


@pytest.fixture(scope="module")
def calls(log: pl.DataFrame) -> pl.DataFrame:
    return log.unique("observation_id", keep="first", maintain_order=True)


# -- shape, determinism ------------------------------------------------------------------------


def test_same_seed_same_frame_other_seed_other_frame() -> None:
    frame = sample.generate(2_000, seed=3)
    assert frame.equals(sample.generate(2_000, seed=3))
    assert not frame.equals(sample.generate(2_000, seed=4))
    assert sample.generate(2_000).equals(sample.generate(2_000, seed=7))


@pytest.mark.parametrize("count", [0, 1, 2, 7, 99, 2_500])
def test_exact_number_of_calls(count: int) -> None:
    df = sample.generate(count, seed=11)
    assert df["observation_id"].n_unique() == count
    assert df.height >= count
    assert list(df.schema.items()) == list(sample.SCHEMA.items())


def test_rejects_bad_call_counts() -> None:
    for bad in (-1, 2.5, "10", True):
        with pytest.raises(ValueError, match="non-negative integer"):
            sample.generate(bad)  # type: ignore[arg-type]


def test_schema_and_column_order(log: pl.DataFrame) -> None:
    assert log.columns == EXPECTED_COLUMNS
    assert list(sample.COLUMNS) == EXPECTED_COLUMNS
    types = dict(log.schema.items())
    assert types.pop("observed_on") == pl.Date
    assert types.pop("debrief") == pl.Boolean
    assert types.pop("deal_value") == pl.Float64
    assert all(t == pl.String for t in types.values())


def test_observation_ids_zero_padded_and_in_order(log: pl.DataFrame, calls: pl.DataFrame) -> None:
    ids = calls["observation_id"]
    assert ids.str.contains(r"^OBS-\d{6}$").all()
    numbers = ids.str.slice(4).cast(pl.Int64)
    assert sorted(ids.to_list()) == [f"OBS-{i:06d}" for i in sorted(numbers.to_list())]
    assert numbers.sort().to_list() == list(range(1, 20_001))
    # rows come call by call, in observation order, which is also date order
    assert log["observation_id"].is_sorted()
    assert calls["observed_on"].is_sorted()


def test_call_fields_agree_across_a_calls_rows(log: pl.DataFrame) -> None:
    per_call = log.group_by("observation_id").agg(
        pl.col(c).n_unique().alias(c) for c in CALL_COLUMNS
    )
    assert per_call.select(pl.all().exclude("observation_id").max()).row(0) == (1,) * len(
        CALL_COLUMNS
    )
    # a rep and a manager each belong to one team; a deal to one rep, value and outcome
    assert log.group_by("rep").agg(pl.col("team").n_unique())["team"].max() == 1
    assert log.group_by("manager").agg(pl.col("team").n_unique())["team"].max() == 1
    deals = log.group_by("deal").agg(pl.col("rep", "deal_value", "outcome").n_unique())
    assert deals.select(pl.max_horizontal("rep", "deal_value", "outcome").max()).item() == 1


# -- vocabularies --------------------------------------------------------------------------------


def test_values_within_vocabularies(log: pl.DataFrame) -> None:
    assert set(log["planned_role"].unique()) == {"observer", "participant"}
    assert set(log["manager_action"].unique()) == {"observed", "assisted", "took_over"}
    assert set(log["outcome"].unique()) == {"won", "lost", "open"}
    assert set(log["polarity"].drop_nulls().unique()) == {"praise", "criticism"}
    assert set(log["severity"].drop_nulls().unique()) == {"minor", "major"}
    assert set(log["category"].drop_nulls().unique()) >= {
        "discovery",
        "pricing",
        "product",
        "process",
        "signals",
        "rapport",
        "closing",
    }
    assert log["team"].null_count() == log["manager"].null_count() == log["rep"].null_count() == 0
    assert log["deal"].null_count() == 0
    assert (log["deal_value"] > 0).all()
    unknown = log.unique("observation_id")["debrief"].null_count() / 20_000
    assert 0.015 < unknown < 0.05


def test_behaviours_spelled_consistently_with_fixed_category_and_severity(
    log: pl.DataFrame,
) -> None:
    vocab = pl.DataFrame(
        [(b.lower(), p, c, s) for b, (p, c, s) in sample.BEHAVIORS.items()],
        schema=["key", "polarity", "category", "severity"],
        orient="row",
    )
    assert vocab.filter(pl.col("polarity") == "praise").height >= 13
    assert vocab.filter(pl.col("polarity") == "criticism").height >= 13
    assert set(vocab.filter(pl.col("polarity") == "criticism")["severity"]) == {"minor", "major"}
    notes = log.filter(pl.col("behavior").is_not_null())
    joined = notes.with_columns(key=norm(pl.col("behavior"))).join(
        vocab, on="key", how="left", suffix="_vocab"
    )
    assert joined["polarity_vocab"].null_count() == 0, "a behaviour outside the vocabulary"
    for col in ("polarity", "category", "severity"):
        assert joined.filter(~pl.col(col).eq_missing(pl.col(f"{col}_vocab"))).height == 0, col
    # severity only on criticism, and always there
    assert notes.filter(
        (pl.col("polarity") == "praise") & pl.col("severity").is_not_null()
    ).is_empty()
    assert notes.filter(
        (pl.col("polarity") == "criticism") & pl.col("severity").is_null()
    ).is_empty()
    # ~1% typed differently (case, spaces), the rest exactly as in the vocabulary
    odd = (~notes["behavior"].is_in(list(sample.BEHAVIORS))).mean()
    assert 0.002 < odd < 0.03
    # all behaviours are in use
    assert joined["key"].n_unique() == len(sample.BEHAVIORS)


def test_notes_per_call(log: pl.DataFrame) -> None:
    per_call = log.group_by("observation_id").agg(
        notes=pl.col("behavior").count(),
        rows=pl.len(),
        distinct=norm(pl.col("behavior")).drop_nulls().n_unique(),
    )
    empty = per_call.filter(pl.col("notes") == 0)
    assert (empty["rows"] == 1).all()
    share_empty = empty.height / per_call.height
    assert 0.05 < share_empty < 0.16, share_empty
    noted = per_call.filter(pl.col("notes") > 0)
    assert noted["notes"].min() == 1 and noted["notes"].max() == 5
    assert set(noted["notes"].unique()) == {1, 2, 3, 4, 5}
    # sometimes the same behaviour noted twice on one call
    assert noted.filter(pl.col("distinct") < pl.col("notes")).height > 20
    # a call without notes has no behaviour, polarity, severity or category
    blank = log.filter(pl.col("behavior").is_null())
    assert (
        blank.select(pl.col("polarity", "severity", "category").null_count()).row(0)
        == (blank.height,) * 3
    )


# -- dates ---------------------------------------------------------------------------------------


def test_dates_are_weekdays_in_the_period_with_seasonality(calls: pl.DataFrame) -> None:
    days = calls["observed_on"]
    assert days.min() >= dt.date(2024, 10, 1)
    assert days.max() <= dt.date(2026, 9, 30)
    assert (days.dt.weekday() <= 5).all()
    assert days.min() <= dt.date(2024, 10, 15) and days.max() >= dt.date(2026, 9, 15)
    months = calls.group_by(month=pl.col("observed_on").dt.month()).len()
    per = dict(zip(months["month"].to_list(), (months["len"] / 2).to_list(), strict=True))
    average = sum(per.values()) / 12
    assert per[8] < 0.7 * average  # August is quiet
    for quarter_end in (3, 6, 9):
        assert per[quarter_end] > 1.1 * average
    december = calls.filter(pl.col("observed_on").dt.month() == 12)
    late = december.filter(pl.col("observed_on").dt.day() >= 20).height
    early = december.filter(pl.col("observed_on").dt.day().is_between(1, 12)).height
    assert late < 0.5 * early


# -- people ------------------------------------------------------------------------------------


def test_teams_managers_and_rep_history(calls: pl.DataFrame) -> None:
    teams = calls.group_by("team").agg(pl.col("manager").n_unique(), pl.col("rep").n_unique())
    assert teams.height >= 4
    assert teams["manager"].is_between(1, 3).all()
    assert teams["rep"].median() >= 5
    per_rep = calls.group_by("rep").len()["len"]
    assert 60 <= per_rep.median() <= 200
    small = sample.generate(3_000).unique("observation_id")
    assert set(small["team"]) == {"Enterprise", "Mid-Market", "SMB", "Channel"}


def manager_profiles(log: pl.DataFrame) -> pl.DataFrame:
    calls = log.unique("observation_id")
    acts = calls.group_by("manager").agg(
        calls=pl.len(),
        take=(pl.col("manager_action") == "took_over").mean(),
        debrief=pl.col("debrief").drop_nulls().mean(),
    )
    notes = log.group_by("manager").agg(
        praise=(pl.col("polarity") == "praise").sum(),
        criticism=(pl.col("polarity") == "criticism").sum(),
    )
    return acts.join(notes, on="manager").with_columns(ratio=pl.col("praise") / pl.col("criticism"))


def test_manager_styles(log: pl.DataFrame) -> None:
    profiles = manager_profiles(log).filter(pl.col("calls") >= 150)
    closers = profiles.filter((pl.col("take") >= 0.3) & (pl.col("ratio") <= 1.0))
    coaches = profiles.filter(
        (pl.col("take") < 0.1) & (pl.col("debrief") >= 0.9) & (pl.col("ratio") >= 3.5)
    )
    assert closers.height >= 1, profiles
    assert coaches.height >= 1, profiles
    middle = profiles.filter(pl.col("take").is_between(0.1, 0.3) | pl.col("ratio").is_between(1, 3))
    assert middle.height >= 1
    # the closer and the coach are there even in a small log
    small = manager_profiles(sample.generate(3_000))
    assert small["take"].max() >= 0.3 and small["take"].min() < 0.1
    # planned observers sometimes still take over
    observers = log.unique("observation_id").filter(pl.col("planned_role") == "observer")
    share = (observers["manager_action"] == "took_over").mean()
    assert 0.03 < share < 0.3
    assert (log.unique("observation_id")["planned_role"] == "observer").mean() > 0.6
    assert {s.name for s in sample.STYLES} >= {"closer", "coach"}


def test_new_reps_make_more_major_mistakes(log: pl.DataFrame) -> None:
    roster = sample.roster(20_000, seed=7)
    tenure = (
        log.join(roster.select("rep", "tenure_months_at_start", "active_from"), on="rep")
        .with_columns(
            months=pl.col("tenure_months_at_start")
            + (pl.col("observed_on") - pl.col("active_from")).dt.total_days() / 30.44
        )
        .with_columns(new=pl.col("months") < 6)
    )
    rates = tenure.group_by("new").agg(
        major=(pl.col("severity") == "major").sum() / pl.col("observation_id").n_unique()
    )
    rate = dict(zip(rates["new"].to_list(), rates["major"].to_list(), strict=True))
    assert rate[True] > 2 * rate[False]


# -- the built-in coaching effects ---------------------------------------------------------------


def events(log: pl.DataFrame) -> pl.DataFrame:
    """Distinct (call, behaviour, polarity) with `again`: seen again on the rep's next K calls.

    Only events whose rep has at least K later calls.
    """
    calls = (
        log.select("observation_id", "observed_on", "rep", "manager_action", "debrief")
        .unique("observation_id")
        .sort("rep", "observed_on", "observation_id")
        .with_columns(seq=pl.int_range(pl.len()).over("rep"), total=pl.len().over("rep"))
    )
    return (
        log.filter(pl.col("behavior").is_not_null())
        .select("observation_id", "polarity", key=norm(pl.col("behavior")))
        .unique()
        .join(calls, on="observation_id")
        .sort("rep", "key", "polarity", "seq")
        .with_columns(following=pl.col("seq").shift(-1).over("rep", "key", "polarity"))
        .with_columns(again=(pl.col("following") - pl.col("seq") <= WINDOW).fill_null(False))
        .filter(pl.col("total") - 1 - pl.col("seq") >= WINDOW)
    )


def test_events_helper_on_a_hand_made_log() -> None:
    rows = [
        # rep A: praised "x" on calls 1 (debriefed) and 3; "y" on 2 (not debriefed), never again;
        # "z" on call 5, which has only one later call and so does not count
        ("OBS-01", dt.date(2025, 1, 6), "A", "observed", True, "X", "praise"),
        ("OBS-02", dt.date(2025, 1, 7), "A", "observed", False, "y ", "praise"),
        ("OBS-03", dt.date(2025, 1, 8), "A", "observed", True, "x", "praise"),
        ("OBS-04", dt.date(2025, 1, 9), "A", "observed", True, None, None),
        ("OBS-05", dt.date(2025, 1, 10), "A", "observed", True, "z", "praise"),  # < K later
        ("OBS-06", dt.date(2025, 1, 13), "A", "observed", True, None, None),
    ]
    names = [
        "observation_id",
        "observed_on",
        "rep",
        "manager_action",
        "debrief",
        "behavior",
        "polarity",
    ]
    log = pl.DataFrame(rows, schema=names, orient="row")
    ev = events(log).sort("observation_id")
    assert ev.select("observation_id", "key", "again").rows() == [
        ("OBS-01", "x", True),
        ("OBS-02", "y", False),
        ("OBS-03", "x", False),
    ]


def test_recognized_praise_recurs_more(log: pl.DataFrame) -> None:
    praise = events(log).filter(pl.col("polarity") == "praise", pl.col("debrief").is_not_null())
    rates = praise.group_by("debrief").agg(rate=pl.col("again").mean(), n=pl.len())
    rate = dict(zip(rates["debrief"].to_list(), rates["rate"].to_list(), strict=True))
    recognized, unrecognized = rate[True], rate[False]
    assert 0.15 < unrecognized < recognized < 0.6, rate
    assert 1.4 < recognized / unrecognized < 2.3, rate


def test_mistakes_repeat_less_after_observing_and_debriefing(log: pl.DataFrame) -> None:
    mistakes = (
        events(log)
        .filter(pl.col("polarity") == "criticism")
        .with_columns(
            response=pl.when(pl.col("manager_action") != "observed")
            .then(pl.col("manager_action"))
            .when(pl.col("debrief"))
            .then(pl.lit("observed_debriefed"))
            .when(~pl.col("debrief"))
            .then(pl.lit("observed_only"))
        )
        .filter(pl.col("response").is_not_null())
    )
    rates = mistakes.group_by("response").agg(rate=pl.col("again").mean(), n=pl.len())
    rate = dict(zip(rates["response"].to_list(), rates["rate"].to_list(), strict=True))
    assert min(rates["n"]) > 500
    assert rate["observed_debriefed"] < rate["observed_only"] < rate["took_over"], rate
    assert rate["observed_debriefed"] < rate["assisted"] < rate["took_over"], rate
    assert 0.3 < rate["observed_debriefed"] / rate["took_over"] < 0.7, rate


# -- writing -----------------------------------------------------------------------------------


def test_parquet_round_trip(tmp_path: Path) -> None:
    df = sample.generate(1_500, seed=5)
    sample.write(df, tmp_path / "log.parquet")
    assert pl.read_parquet(tmp_path / "log.parquet").equals(df)
    sample.write(df, str(tmp_path / "LOG.PARQUET"))
    assert pl.read_parquet(tmp_path / "LOG.PARQUET").equals(df)


def test_csv_round_trip(tmp_path: Path) -> None:
    df = sample.generate(1_500, seed=5)
    path = tmp_path / "log.csv"
    sample.write(df, path)
    text = path.read_text()
    header, first = text.splitlines()[:2]
    assert header == ",".join(EXPECTED_COLUMNS)
    assert re.match(r"OBS-\d{6},\d{4}-\d{2}-\d{2},", first)
    raw = pl.read_csv(path, infer_schema=False)
    assert raw.columns == EXPECTED_COLUMNS
    assert set(raw["debrief"].unique().to_list()) == {"yes", "no", None}
    back = raw.with_columns(
        pl.col("observed_on").str.to_date("%Y-%m-%d"),
        pl.col("debrief").replace_strict({"yes": True, "no": False}, return_dtype=pl.Boolean),
        pl.col("deal_value").cast(pl.Float64),
    )
    assert back.equals(df)


def test_write_rejects_other_suffixes(tmp_path: Path) -> None:
    df = sample.generate(10)
    for name in ("log.xlsx", "log", "log.csv.gz"):
        with pytest.raises(ValueError, match=r"\.csv.*\.parquet"):
            sample.write(df, tmp_path / name)
    assert not list(tmp_path.iterdir())


# -- footprint -----------------------------------------------------------------------------------


def test_needs_no_streamlit() -> None:
    code = (
        "import sys, dashboard.sample as s; s.generate(50); "
        "assert 'streamlit' not in sys.modules, 'streamlit imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_effects_none_keeps_the_people_calls_and_habits_and_changes_only_what_comes_next() -> None:
    planted = sample.generate(600, seed=3)
    null = sample.generate(600, seed=3, effects="none")
    call_cols = ["observation_id", "observed_on", "team", "manager", "rep", "manager_action",
                 "debrief", "planned_role"]  # fmt: skip
    assert (
        planted.select(call_cols)
        .unique()
        .sort("observation_id")
        .equals(null.select(call_cols).unique().sort("observation_id"))
    )
    # the notes differ: learning and praise memory no longer depend on the response
    assert not planted.select("behavior").equals(null.select("behavior"))


def test_effects_must_be_planted_or_none(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="planted, none"):
        sample.generate(10, seed=1, effects="some")
    from click.testing import CliRunner

    from dashboard.cli import main

    out = tmp_path / "null.csv"
    result = CliRunner().invoke(
        main, ["sample", "--calls", "50", "--seed", "2", "--effects", "none", "--out", str(out)]
    )
    assert result.exit_code == 0 and out.exists()
    bad = CliRunner().invoke(main, ["sample", "--effects", "some", "--out", str(out)])
    assert bad.exit_code == 2
