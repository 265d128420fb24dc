-- schema: the store's tables and types: the calls and notes imported, the imports log, the
-- logbook of the Log a ride-along page, and meta (layout and derived-tables versions, the
-- write version). Every statement is idempotent: it creates what is missing, and the
-- `alter table` lines at the end give an older store the columns added since layout 1.
-- Grain: definitions (no rows). Parameters: none.
create table if not exists meta (key varchar, value varchar);
create type if not exists polarity_t as enum ('praise', 'criticism');
create type if not exists action_t as enum ('observed', 'assisted', 'took_over');
create table if not exists imports (
    import_id integer,
    file varchar,
    content_hash varchar,
    imported_at timestamp,
    source varchar,            -- 'file', 'upload', 'sample' or 'form' (Log a ride-along)
    rows bigint,
    calls bigint,
    notes bigint,
    calls_added bigint,
    calls_replaced bigint,
    calls_unchanged bigint
);
-- Calls logged on the Log a ride-along page: who logged them and when (first logged; an edit
-- keeps both), and a debrief the leader will hold later. calls.debrief stays null (unknown)
-- for such a call, so every debrief metric counts "later" as unknown.
create table if not exists logbook (
    call_key varchar not null,
    logged_by varchar,
    logged_at timestamp not null,
    debrief_later boolean not null default false
);
create table if not exists calls (
    call_key varchar not null,
    observation_id varchar,
    observed_on date not null,
    manager varchar not null,
    rep varchar not null,
    team varchar,
    planned_role varchar,
    manager_action varchar not null,
    debrief boolean,
    deal varchar,
    deal_value double,
    outcome varchar,
    fingerprint ubigint,     -- hash of the call and its notes: tells unchanged re-imports
    import_id integer
);
create table if not exists notes (
    call_key varchar not null,
    note_no bigint not null,   -- the row of the file it came from: orders notes in a call
    behavior varchar not null,
    behavior_key varchar not null,
    polarity varchar not null,
    severity varchar,
    category varchar
);

-- Columns added to the imports log after layout 1: an older store gains them on upgrade.
alter table imports add column if not exists mapping_hash varchar;  -- the --mapping used
alter table imports add column if not exists logged_by varchar;
alter table imports add column if not exists calls_deleted bigint;
alter table imports add column if not exists undone_by integer;  -- the undo that reverted it
