-- access_tables: who may see what (dashboard/access.py), kept in the store and written only by
-- `ridealong access ...`; created by the first such command (a store without them has no
-- grants and the default policy).
--
-- Grain: access_grants, one row per email (lowercase); access_policy, at most one row.
-- Parameters: none.
create table if not exists access_grants (
    email varchar not null,       -- lowercase, as the identity provider's email claim
    everything boolean not null,  -- --all
    teams varchar[] not null,     -- --team (repeatable); '' is "no team"
    managers varchar[] not null,  -- --manager (repeatable): what they observed + their reps
    admin boolean not null,       -- --admin: add to the store, undo imports, manage access
    granted_at timestamp not null,
    granted_by varchar
);
create table if not exists access_policy (
    min_group integer not null,        -- teams / managers with fewer reps read 'other'
    individual_reps boolean not null,  -- false: no per-rep pages or rows but for admins
    set_at timestamp not null,
    set_by varchar
);
