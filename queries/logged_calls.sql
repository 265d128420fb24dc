-- logged_calls: calls logged on the Log a ride-along page since a day, newest first, with who
-- logged them and when (the first time: an edit keeps it), for the page's list of calls to
-- correct, delete or debrief. `notes` is the call's note count as call_facts keeps it (one
-- definition, queries/derive/07_call_facts.sql).
--
-- Grain: one row per logged call still in the store.
--
-- Parameters:
--   $manager    the leader (VARCHAR; null = every manager)
--   $logged_by  who logged them (VARCHAR; null = anyone)
--   $since      DATE: logged on this day or later
--   $scope      the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
with logged as (
    select l.call_key, l.logged_by, l.logged_at, l.debrief_later
    from logbook as l
    where l.logged_at >= $since::date
        and ($logged_by::varchar is null or l.logged_by = $logged_by::varchar)
)

select
    c.call_key,
    c.observation_id,
    c.observed_on,
    c.manager,
    c.rep,
    c.team,
    d.deal,
    case
        when c.debrief then 'yes'
        when not c.debrief then 'no'
        when g.debrief_later then 'later'
        else 'unknown'
    end as debrief_state,
    c.notes,
    g.logged_by,
    g.logged_at
from logged as g
inner join selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope) as c on c.call_key = g.call_key
inner join calls as d on d.call_key = g.call_key
where $manager::varchar is null or c.manager = $manager::varchar
order by g.logged_at desc, c.call_key
