-- logged_calls: calls logged on the Log a ride-along page since a day, newest first, with who
-- logged them and when (the first time: an edit keeps it), for the page's list of calls to
-- correct, delete or debrief.
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
),

note_counts as (
    select n.call_key, count(*) as notes
    from notes as n
    inner join logged as g on g.call_key = n.call_key
    group by n.call_key
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
    coalesce(n.notes, 0)::bigint as notes,
    g.logged_by,
    g.logged_at
from logged as g
inner join selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope) as c on c.call_key = g.call_key
inner join calls as d on d.call_key = g.call_key
left join note_counts as n on n.call_key = g.call_key
where $manager::varchar is null or c.manager = $manager::varchar
order by g.logged_at desc, c.call_key
