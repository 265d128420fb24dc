-- calls_ordered: the calls of the reps in derive_scope, each rep's in order (a temporary table
-- of the derivation): observed_on, then observation_id as text (without one: manager, then
-- call_key). call_id numbers them rep by rep in that order, after the largest id call_facts
-- still holds (from 1 in a full derivation), so a rep's calls are the consecutive ids
-- call_id - rep_seq + 1 ... call_id + later_calls.
-- Grain: one row per call of a rep in derive_scope. Parameters: none.
create or replace temp table calls_ordered as
with numbered as (
    select
        (select coalesce(max(f.call_id), 0) from call_facts as f)
            + row_number() over (
                order by r.rep_id, c.observed_on, coalesce(c.observation_id, ''), c.manager,
                    c.call_key
            )::integer as call_id,
        r.rep_id,
        c.call_key,
        c.observation_id,
        c.observed_on,
        c.manager,
        c.rep,
        coalesce(c.team, '') as team,
        c.planned_role,
        c.manager_action,
        c.debrief
    from calls as c
    semi join derive_scope as s on s.rep = c.rep
    inner join rep_ids as r on r.rep = c.rep
),
reps as (
    select rep_id, min(call_id) as first_id, max(call_id) as last_id
    from numbered
    group by rep_id
)
select
    n.*,
    n.call_id - r.first_id + 1 as rep_seq,
    r.last_id - r.first_id + 1 as rep_calls
from numbered as n
inner join reps as r on r.rep_id = n.rep_id
