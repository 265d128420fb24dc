-- call_facts: one row per call with everything the metrics need, its events summarised:
-- for each polarity the number of events and, per window K = 1..10 (metrics.MAX_WINDOW), how
-- many recurred within K (one list per call and one pass over it: 4 s less at 10 million
-- notes than twenty filtered counts). Rows are stored by date, so a date filter skips whole
-- row groups (a write that re-derives a few reps appends theirs, by date).
-- Grain: one row per call. Parameters: none; adds the calls of calls_ordered.
insert into call_facts
with per_call as (
    select
        call_id,
        sum(notes) as notes,
        sum(notes) filter (where polarity = 'praise') as praise,
        sum(notes) filter (where polarity = 'criticism') as criticism,
        count(*) filter (where polarity = 'praise') as praise_events,
        count(*) filter (where polarity = 'criticism') as criticism_events,
        list(gap) filter (where polarity = 'praise' and gap <= 10) as praise_gaps,
        list(gap) filter (where polarity = 'criticism' and gap <= 10)
            as criticism_gaps
    from events
    group by call_id
)
select
    o.call_id,
    o.call_key,
    o.observation_id,
    o.observed_on,
    strftime(o.observed_on, '%Y-%m') as month,
    year(o.observed_on)::varchar || '-Q' || quarter(o.observed_on)::varchar as quarter,
    o.manager,
    o.rep,
    o.team,
    m.manager_id,
    o.rep_id,
    t.team_id,
    o.planned_role,
    o.manager_action::action_t as manager_action,
    o.debrief,
    coalesce(n.notes, 0)::bigint as notes,
    coalesce(n.praise, 0)::bigint as praise,
    coalesce(n.criticism, 0)::bigint as criticism,
    coalesce(n.praise_events, 0)::integer as praise_events,
    coalesce(n.criticism_events, 0)::integer as criticism_events,
    list_transform(range(1, 11), lambda k: len(list_filter(coalesce(n.praise_gaps, []), lambda g: g <= k)))::integer[] as praise_recurred,
    list_transform(range(1, 11), lambda k: len(list_filter(coalesce(n.criticism_gaps, []), lambda g: g <= k)))::integer[] as criticism_repeated,
    o.rep_seq,
    o.rep_calls - o.rep_seq as later_calls
from calls_ordered as o
inner join manager_ids as m on m.manager = o.manager
inner join team_ids as t on t.team = o.team
left join per_call as n on n.call_id = o.call_id
order by o.observed_on
