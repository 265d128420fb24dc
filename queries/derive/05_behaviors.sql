-- behaviors: one id and label per behaviour key: the label is the most common trimmed
-- spelling among its notes (ties: the smallest by code point).
-- Grain: one row per behaviour key. Parameters: none.
create or replace table behaviors as
with spellings as (
    select behavior_key, behavior, count(*) as uses
    from notes
    group by behavior_key, behavior
)
select
    row_number() over (order by behavior_key)::integer as behavior_id,
    behavior_key,
    first(behavior order by uses desc, behavior asc) as label
from spellings
group by behavior_key
