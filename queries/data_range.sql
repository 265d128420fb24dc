-- data_range: the first and last day with an observed call, and the filter choices.
-- Grain: one row (nulls when the store is empty).
-- Parameters: none.
select
    min(observed_on) as first_day,
    max(observed_on) as last_day,
    count(*) as calls,
    list(distinct team order by team) as teams,
    list(distinct manager order by manager) as managers,
    list(distinct rep order by rep) as reps
from call_facts
