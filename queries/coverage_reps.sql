-- coverage_reps: reps nobody observed in the review's quarter although they were observed in the
-- quarters before it (they may have left, changed team or simply been missed).
--
-- Grain: one row per rep with at least one matching call in the $lookback quarters before the
-- quarter and none in the quarter itself; most recently observed first.
--
-- Parameters:
--   $start     first day of the quarter (DATE)
--   $end       last day of the quarter (DATE)
--   $lookback  how many quarters before it to look at (INTEGER, e.g. 4)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
with filtered_calls as (
    select
        rep,
        manager,
        team,
        observed_on,
        rep_seq
    from selected_calls(
        ($start::date - to_months(3 * $lookback::integer))::date, $end::date,
        $teams::varchar[], []::varchar[], []::varchar[], $scope
    )
),

before as (
    select
        rep,
        count(*) as calls_before,
        max(observed_on) as last_observed,
        arg_max(manager, rep_seq) as last_manager,
        arg_max(team, rep_seq) as last_team
    from filtered_calls
    where observed_on < $start::date
    group by rep
),

during as (
    select distinct rep
    from filtered_calls
    where observed_on >= $start::date
)

select
    b.rep,
    b.last_team,
    b.calls_before,
    b.last_observed,
    b.last_manager
from before as b
anti join during as d on d.rep = b.rep
order by b.last_observed desc, b.rep
