-- logged_call: one call as the Log a ride-along page and the debrief sheet show it, with
-- who logged it and when (null for a call that came from a file), its debrief state
-- ('yes', 'no', 'later' or 'unknown') and its notes in the order noted.
--
-- Grain: one row per note of the call, in order; a call with nothing noted is one row with
-- null behavior; no rows when there is no such call.
--
-- Parameters:
--   $call_key  the call (its observation_id, or "observed_on|manager|rep" without one)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--              (no rows for a call outside it)
with the_call as (
    select *
    from calls
    where call_key = $call_key::varchar
        and call_key in (select s.call_key from selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope) as s)
)

select
    c.call_key,
    c.observation_id,
    c.observed_on,
    c.manager,
    c.rep,
    c.team,
    c.deal,
    c.planned_role,
    c.manager_action,
    case
        when c.debrief then 'yes'
        when not c.debrief then 'no'
        when coalesce(l.debrief_later, false) then 'later'
        else 'unknown'
    end as debrief_state,
    l.logged_by,
    l.logged_at,
    n.note_no,
    n.behavior,
    n.polarity,
    n.severity,
    n.category
from the_call as c
left join logbook as l on l.call_key = c.call_key
left join notes as n on n.call_key = c.call_key
order by n.note_no nulls first
