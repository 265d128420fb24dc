-- coverage_managers: how many calls each manager observed in the review's quarter against their
-- usual number per quarter, and whether that is below $share of usual.
--
-- Grain: one row per manager with at least one matching call in the quarter or in the $lookback
-- quarters before it; those below their usual first, then by name.
--
-- Parameters:
--   $start     first day of the quarter (DATE)
--   $end       last day of the quarter (DATE)
--   $lookback  how many quarters before it make "usual" (INTEGER, e.g. 4)
--   $share     below = calls this quarter < $share * usual (DOUBLE, e.g. 0.75)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--
-- usual = calls in the $lookback quarters before the quarter divided by the number of those
-- quarters, counted from the manager's first quarter with a call among them (a manager who
-- started two quarters ago is compared with those two quarters, zeros included). A manager with
-- no call before the quarter has no usual and is never below it.
with filtered_calls as (
    select
        manager,
        observed_on
    from selected_calls(
        ($start::date - to_months(3 * $lookback::integer))::date, $end::date,
        $teams::varchar[], []::varchar[], []::varchar[], $scope
    )
),

per_manager as (
    select
        manager,
        count(*) filter (where observed_on >= $start::date) as calls,
        count(*) filter (where observed_on < $start::date) as calls_before,
        min(date_trunc('quarter', observed_on)::date) filter (
            where observed_on < $start::date
        ) as first_quarter_before
    from filtered_calls
    group by manager
),

usual as (
    select
        manager,
        calls,
        calls_before,
        (datediff('month', first_quarter_before, $start::date) // 3)::bigint
            as quarters_compared
    from per_manager
),

final as (
    select
        manager,
        calls,
        calls_before,
        quarters_compared,
        case when quarters_compared > 0 then calls_before::double / quarters_compared end
            as usual,
        case when calls_before > 0 then
            calls::double / (calls_before::double / quarters_compared)
        end as share_of_usual
    from usual
)

select
    manager,
    calls,
    calls_before,
    quarters_compared,
    usual,
    share_of_usual,
    coalesce(calls < $share::double * usual, false) as below
from final
order by below desc, manager
