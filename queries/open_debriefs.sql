-- open_debriefs: a leader's calls of the last $days days whose debrief is still to be held:
-- marked "later" on the Log a ride-along page, or not known. The Overview counts them; the
-- Log a ride-along page lists them. A debrief marked "later" is stored as unknown
-- (calls.debrief is null, logbook.debrief_later is true), so it counts as unknown in every
-- debrief metric.
--
-- Grain: one row per call, oldest first (observed_on, then observation_id as text).
--
-- Parameters:
--   $manager  the leader (VARCHAR; null = every manager)
--   $today    DATE: the last day included
--   $days     how many days, today included (14: today and the 13 days before)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
with recent as (
    select
        c.call_key,
        c.observation_id,
        c.observed_on,
        c.manager,
        c.rep,
        c.team,
        d.deal,
        c.manager_action::varchar as manager_action
    from selected_calls(
        ($today::date - $days::integer + 1)::date, $today::date, []::varchar[], []::varchar[], []::varchar[], $scope
    ) as c
    inner join calls as d on d.call_key = c.call_key
    where c.debrief is null
        and ($manager::varchar is null or c.manager = $manager::varchar)
),

note_counts as (
    select n.call_key, count(*) as notes
    from notes as n
    inner join recent as r on r.call_key = n.call_key
    group by n.call_key
)

select
    r.call_key,
    r.observation_id,
    r.observed_on,
    r.manager,
    r.rep,
    r.team,
    r.deal,
    r.manager_action,
    case when coalesce(l.debrief_later, false) then 'later' else 'unknown' end as debrief_state,
    coalesce(n.notes, 0)::bigint as notes,
    ($today::date - r.observed_on)::integer as days_ago
from recent as r
left join logbook as l on l.call_key = r.call_key
left join note_counts as n on n.call_key = r.call_key
order by r.observed_on, coalesce(r.observation_id, ''), r.call_key
