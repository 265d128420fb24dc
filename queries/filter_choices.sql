-- filter_choices: who the sidebar offers once a team (or a manager) is chosen: every team,
-- manager and rep that share an observed call, so Team narrows Manager and both narrow Rep.
-- Grain: one row per (team, manager, rep) with at least one call; team '' = no team.
-- Parameters:
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
with source as (
    select team, manager, rep
    from selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope)
)

select
    team as team,
    manager as manager,
    rep as rep,
    count(*) as calls
from source
group by team, manager, rep
order by team, manager, rep
