-- small_groups: the teams and managers with fewer than $min_group distinct reps in the whole
-- store, which privacy mode shows as 'other' (dashboard/access.py folds them through
-- selected_calls's scope).
--
-- Grain: one row per (kind, name) below the threshold; kind 'team' or 'manager'.
--
-- Parameters:
--   $min_group  the smallest group shown on its own (1 or less: nothing is folded)
with per_team as (
    select 'team' as kind, team as name, count(distinct rep) as reps
    from call_facts
    group by team
),

per_manager as (
    select 'manager' as kind, manager as name, count(distinct rep) as reps
    from call_facts
    group by manager
)

select kind, name, reps
from (select * from per_team union all select * from per_manager) as groups
where reps < $min_group::integer
order by kind, name
