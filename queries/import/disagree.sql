-- import/disagree: how many calls of a staged file have rows that say different things about
-- the call — the same observed_on, manager, rep and manager_action on every row, and one
-- team, planned role and debrief among the rows that give one (an empty cell agrees with
-- any). Only the calls flagged may_disagree by queries/import/calls.sql (rows not all alike)
-- are read: a file whose calls' rows are all alike costs nothing here.
--
-- Grain: one row (the count). Reads `norm` (the staged rows) and `calls` (the staged calls)
-- (importer: CTEs over `<stage>_norm` and `<stage>_calls`).
--
-- Parameters: none.

with suspect as (
    select n.*
    from norm as n
    semi join calls as c on c.call_key = n.call_key and c.may_disagree
),

per_call as (
    select
        s.call_key,
        min(hash(s.observed_on, s.manager, s.rep, s.manager_action))
            <> max(hash(s.observed_on, s.manager, s.rep, s.manager_action))
        or min(case when s.team is not null then hash(s.team) end)
            <> max(case when s.team is not null then hash(s.team) end)
        or min(case when s.planned_role is not null then hash(s.planned_role) end)
            <> max(case when s.planned_role is not null then hash(s.planned_role) end)
        or min(s.debrief::integer) <> max(s.debrief::integer) as disagree
    from suspect as s
    group by s.call_key
)

select count(*) as calls
from per_call as p
where p.disagree
