-- behavior_spellings: how often each rep's notes spell each behaviour key each way: what
-- behaviors' labels are counted from, kept per rep so that a write re-counts only the reps
-- it touches.
-- Grain: one row per rep, behaviour key and spelling. Parameters: none; reads calls_ordered.
insert into behavior_spellings
select o.rep_id, n.behavior_key, n.behavior, count(*)::bigint as uses
from notes as n
inner join calls_ordered as o on o.call_key = n.call_key
group by o.rep_id, n.behavior_key, n.behavior
