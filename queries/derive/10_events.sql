-- events: events with integer keys and their look-ahead (a temporary table of the
-- derivation). `gap` is how many calls later the rep was next noted for the same behaviour
-- with the same polarity (null if never): an event recurred within window K exactly when
-- gap <= K. Within a partition ordered by call_id, the next event is the rep's own only if it
-- falls in the rep's id range (calls_ordered holds whole reps, so a rep's look-ahead is the
-- same whichever reps are derived with it).
-- Grain: one row per call of calls_ordered, behaviour and polarity noted. Parameters: none.
create or replace temp table events as
with keyed as (
    select o.call_id, o.rep_calls - o.rep_seq as later_calls, b.behavior_id, n.polarity
    from notes as n
    inner join calls_ordered as o on o.call_key = n.call_key
    inner join behaviors as b on b.behavior_key = n.behavior_key
),
on_call as (
    -- one row per behaviour noted on a call, with its notes of each polarity
    select call_id, behavior_id, any_value(later_calls) as later_calls,
        count(*) filter (where polarity = 'praise') as praise_notes,
        count(*) filter (where polarity = 'criticism') as criticism_notes
    from keyed
    group by call_id, behavior_id
),
distinct_events as (
    -- an event is a behaviour and a polarity on a call; first_of_call marks one event per
    -- behaviour on a call (its praise, else its criticism), to count the call once
    select call_id, behavior_id, 'praise'::polarity_t as polarity, later_calls,
        praise_notes as notes, true as first_of_call
    from on_call
    where praise_notes > 0
    union all
    select call_id, behavior_id, 'criticism'::polarity_t as polarity, later_calls,
        criticism_notes as notes, praise_notes = 0 as first_of_call
    from on_call
    where criticism_notes > 0
)
select
    call_id, behavior_id, polarity, notes,
    case
        when lead(call_id) over w <= call_id + later_calls
        then lead(call_id) over w - call_id
    end as gap,
    first_of_call
from distinct_events
window w as (partition by behavior_id, polarity order by call_id)
