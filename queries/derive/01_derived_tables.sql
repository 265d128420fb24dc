-- derived_tables: the derived tables, created empty. A full derivation starts here (a new
-- store, an upgrade, a write that changes most reps); a write that changes a few reps keeps
-- them and rewrites only those reps' rows (the files after this one serve both).
-- Grain: definitions (no rows). Parameters: none.
create or replace table rep_ids (rep_id integer, rep varchar);
create or replace table manager_ids (manager_id integer, manager varchar);
create or replace table team_ids (team_id integer, team varchar);
create or replace table behavior_spellings (
    rep_id integer,
    behavior_key varchar,
    behavior varchar,
    uses bigint
);
create or replace table behaviors (behavior_id integer, behavior_key varchar, label varchar);
create or replace table call_facts (
    call_id integer,
    call_key varchar,
    observation_id varchar,
    observed_on date,
    month varchar,
    quarter varchar,
    manager varchar,
    rep varchar,
    team varchar,
    manager_id integer,
    rep_id integer,
    team_id integer,
    planned_role varchar,
    manager_action action_t,
    debrief boolean,
    notes bigint,
    praise bigint,
    criticism bigint,
    praise_events integer,
    criticism_events integer,
    praise_recurred integer[],
    criticism_repeated integer[],
    rep_seq integer,
    later_calls integer
);
create or replace table event_facts (
    call_id integer,
    behavior_id integer,
    polarity polarity_t,
    notes bigint,
    first_of_call boolean,
    observed_on date,
    manager_id integer,
    rep_id integer,
    team_id integer,
    planned_role varchar,
    manager_action action_t,
    debrief boolean,
    rep_seq integer,
    later_calls integer,
    gap integer
);
