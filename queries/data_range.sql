-- data_range: the first and last day with an observed call, and the filter choices, among the
-- calls the session may see.
-- Grain: one row (nulls when the store is empty).
-- Parameters:
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
select
    min(observed_on) as first_day,
    max(observed_on) as last_day,
    count(*) as calls,
    list(distinct team order by team) as teams,
    list(distinct manager order by manager) as managers,
    list(distinct rep order by rep) as reps
from selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope)
