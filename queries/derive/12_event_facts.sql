-- event_facts: one row per event with its call's fields as integer codes: what the
-- behaviour grouping and the rep history read.
-- Grain: one row per call, behaviour and polarity noted. Parameters: none; adds the events
-- of the temporary table events.
insert into event_facts
select
    e.call_id,
    e.behavior_id,
    e.polarity,
    e.notes,
    e.first_of_call,
    f.observed_on,
    f.manager_id,
    f.rep_id,
    f.team_id,
    f.planned_role,
    f.manager_action,
    f.debrief,
    f.rep_seq,
    f.later_calls,
    e.gap
from events as e
inner join call_facts as f on f.call_id = e.call_id
