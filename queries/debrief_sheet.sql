-- debrief_sheet: what to debrief one call from. For each behaviour noted on the call, with
-- each polarity: for praise, on how many of the rep's earlier calls it was praised, on how
-- many of those the rep was recognised for it (praise on a debriefed call), and after those
-- recognitions whether it came back on one of the rep's next $window calls (as rep_history
-- and metrics.sql decide it: came back iff later_calls >= K and gap <= K; too soon to tell
-- when the rep had fewer than K calls after it); for criticism, on how many of the rep's
-- earlier calls it was noted as criticism, and when last. "Earlier" is the rep's order
-- (date, then observation_id as text), over the rep's whole history.
--
-- Grain: one row per event of the call (behaviour key and polarity): praise first, then
-- criticism, each in the order noted. No rows for a call with nothing noted or no such call.
--
-- Parameters:
--   $call_key  the call (its observation_id, or "observed_on|manager|rep" without one)
--   $window    K, the recurrence window in calls
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--              (no rows for a call outside it)
with this_call as (
    select call_id, rep_id, rep_seq
    from selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope)
    where call_key = $call_key::varchar
),

noted as (
    -- the call's notes, one row per event: its first spelling, how many notes, the worst
    -- severity
    select
        n.behavior_key,
        n.polarity,
        first(trim(n.behavior) order by n.note_no) as behavior,
        count(*) as notes,
        max(case n.severity when 'major' then 2 when 'minor' then 1 end) as severity_rank,
        min(n.note_no) as first_note
    from notes as n
    where n.call_key = $call_key::varchar
        and exists (select 1 from this_call)
    group by n.behavior_key, n.polarity
),

earlier as (
    -- the rep's events before this call, for the behaviours on it
    select
        b.behavior_key,
        e.polarity::varchar as polarity,
        e.observed_on,
        coalesce(e.debrief, false) as recognized,
        e.later_calls >= $window::integer as eligible,
        coalesce(e.gap <= $window::integer, false) as came_back
    from event_facts as e
    inner join this_call as t on t.rep_id = e.rep_id and e.rep_seq < t.rep_seq
    inner join behaviors as b on b.behavior_id = e.behavior_id
    where b.behavior_key in (select behavior_key from noted)
)

select
    n.polarity,
    n.behavior,
    n.notes::bigint as notes,
    case n.severity_rank when 2 then 'major' when 1 then 'minor' end as severity,
    count(e.observed_on)::bigint as earlier_calls,
    max(e.observed_on) as last_before,
    count(*) filter (where e.recognized)::bigint as recognized_before,
    count(*) filter (where e.recognized and e.eligible and e.came_back)::bigint as came_back,
    count(*) filter (where e.recognized and e.eligible and not e.came_back)::bigint
        as not_back,
    count(*) filter (where e.recognized and not e.eligible)::bigint as too_soon
from noted as n
left join earlier as e on e.behavior_key = n.behavior_key and e.polarity = n.polarity
group by n.polarity, n.behavior, n.notes, n.severity_rank, n.first_note
order by n.polarity = 'criticism', n.first_note
