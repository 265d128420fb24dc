-- open_debriefs: a leader's calls of the last $days days whose debrief is still to be held:
-- marked "later" on the Log a ride-along page, or not known. The Overview counts them; the
-- Log a ride-along page lists them. A debrief marked "later" is stored as unknown
-- (calls.debrief is null, logbook.debrief_later is true), so it counts as unknown in every
-- debrief metric. `notes` is the call's note count as call_facts keeps it (one definition,
-- queries/derive/07_call_facts.sql).
--
-- Grain: one row per call, oldest first: observed_on, then (calls of one day) the order they
-- were logged on the page (calls from a file first), then observation_id as text.
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
        c.manager_action::varchar as manager_action,
        c.notes
    from selected_calls(
        ($today::date - $days::integer + 1)::date, $today::date, []::varchar[], []::varchar[], []::varchar[], $scope
    ) as c
    inner join calls as d on d.call_key = c.call_key
    where c.debrief is null
        and ($manager::varchar is null or c.manager = $manager::varchar)
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
    r.notes,
    ($today::date - r.observed_on)::integer as days_ago
from recent as r
left join logbook as l on l.call_key = r.call_key
order by r.observed_on, l.logged_at nulls first, coalesce(r.observation_id, ''), r.call_key
