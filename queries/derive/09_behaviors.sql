-- behaviors: one id and label per behaviour key noted in the store: the label is the most
-- common trimmed spelling among all its notes (ties: the smallest by code point), counted
-- from behavior_spellings. A key keeps its id while it has notes; new keys get the next ids
-- in key order (a full derivation: every id in key order).
-- Grain: one row per behaviour key. Parameters: none.
delete from behaviors
where behavior_key not in (select s.behavior_key from behavior_spellings as s);
insert into behaviors
select
    (select coalesce(max(b.behavior_id), 0) from behaviors as b)
        + row_number() over (order by n.behavior_key)::integer as behavior_id,
    n.behavior_key,
    null as label
from (
    select distinct s.behavior_key
    from behavior_spellings as s
    where s.behavior_key not in (select behavior_key from behaviors)
) as n;
update behaviors as b
set label = l.label
from (
    select behavior_key, first(behavior order by uses desc, behavior asc) as label
    from (
        select behavior_key, behavior, sum(uses) as uses
        from behavior_spellings
        group by behavior_key, behavior
    )
    group by behavior_key
) as l
where l.behavior_key = b.behavior_key and b.label is distinct from l.label
