-- rep_history: one rep's observed calls in the rep's order, with who observed, what they did,
-- the behaviours noted as praise and as criticism, and for praise on a debriefed call
-- (recognised praise) whether the rep was praised for it again on one of the next $window
-- calls. The look-ahead uses the rep's whole history (event_facts.gap, later_calls), exactly
-- as metrics.sql does: a recognised behaviour "came back" iff later_calls >= K and gap <= K,
-- "did not come back" iff later_calls >= K and not, and is "too soon to tell" when the rep has
-- fewer than K calls after this one.
--
-- Grain: one row per call of $rep among the selected calls, ordered by rep_seq (date, then
-- observation_id as text, then manager: the order every recurrence figure uses).
--
-- Parameters:
--   $rep       the rep
--   $window    K, the recurrence window in calls
--   $start     first day included (DATE or null = open)
--   $end       last day included (DATE or null = open)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $managers  VARCHAR[]: managers to keep (empty = all)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--
-- Behaviours are listed in the spelling used on the call (trimmed); a behaviour noted twice
-- on a call appears twice in praise_notes / criticism_notes (as it counts twice in the note
-- counts) but once in the recurrence lists (one event per call, behaviour and polarity).
with filtered_calls as (
    select *
    from selected_calls(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], [$rep::varchar],
        $scope
    )
),

call_notes as (
    select
        n.call_key,
        list(n.behavior order by n.note_no) filter (where n.polarity = 'praise')
            as praise_notes,
        list(n.behavior order by n.note_no) filter (where n.polarity = 'criticism')
            as criticism_notes
    from notes as n
    inner join filtered_calls as c on c.call_key = n.call_key
    group by n.call_key
),

event_names as (
    -- the spelling of each event's first note on the call
    select
        n.call_key,
        n.behavior_key,
        n.polarity,
        first(n.behavior order by n.note_no) as behavior
    from notes as n
    inner join filtered_calls as c on c.call_key = n.call_key
    group by n.call_key, n.behavior_key, n.polarity
),

recognized as (
    select
        c.call_key,
        list(s.behavior order by s.behavior) filter (
            where e.later_calls >= $window::integer and e.gap <= $window::integer
        ) as came_back,
        list(s.behavior order by s.behavior) filter (
            where e.later_calls >= $window::integer
                and not coalesce(e.gap <= $window::integer, false)
        ) as did_not_come_back,
        list(s.behavior order by s.behavior) filter (
            where e.later_calls < $window::integer
        ) as too_soon
    from event_facts as e
    inner join filtered_calls as c on c.call_id = e.call_id
    inner join behaviors as b on b.behavior_id = e.behavior_id
    inner join event_names as s
        on s.call_key = c.call_key
        and s.behavior_key = b.behavior_key
        and s.polarity = e.polarity
    where e.polarity = 'praise' and e.debrief
    group by c.call_key
)

select
    c.rep_seq::bigint as call_no,
    c.observed_on,
    c.observation_id,
    c.manager,
    c.team,
    c.planned_role,
    c.manager_action,
    c.debrief,
    c.praise::bigint as praise,
    c.criticism::bigint as criticism,
    coalesce(n.praise_notes, []::varchar[]) as praise_notes,
    coalesce(n.criticism_notes, []::varchar[]) as criticism_notes,
    coalesce(r.came_back, []::varchar[]) as came_back,
    coalesce(r.did_not_come_back, []::varchar[]) as did_not_come_back,
    coalesce(r.too_soon, []::varchar[]) as too_soon,
    c.later_calls::bigint as later_calls
from filtered_calls as c
left join call_notes as n on n.call_key = c.call_key
left join recognized as r on r.call_key = c.call_key
order by c.rep_seq
