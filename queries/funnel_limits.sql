-- funnel_limits: the binomial control limits of the Managers page's funnel plot (intervention
-- rate against calls observed). p0 is the team's intervention rate over the selected calls
-- (calls taken over / calls); for a manager with n calls, chance alone keeps the rate within
-- p0 ± z·sqrt(φ p0(1 − p0) / n), clipped to [0, 1]: z = 1.96 for the 95% limits, 3.09 for
-- 99.8%; φ is Spiegelhalter's overdispersion factor (effects.overdispersion), which widens the
-- limits when the managers differ more than chance (φ > 1; null or ≤ 1: the plain binomial).
-- queries/funnel_managers.sql places each manager against the same limits.
--
-- Grain: one row per n = 1, 2, ... up to the most calls any one manager has among the selected
-- calls. No rows when no call matches.
--
-- Parameters (the same filter idiom as metrics.sql):
--   $start     first day included (DATE or null = open)
--   $end       last day included (DATE or null = open)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $managers  VARCHAR[]: managers to keep (empty = all)
--   $reps      VARCHAR[]: reps to keep (empty = all)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--   $phi       DOUBLE or null: the overdispersion factor φ the limits are widened by
with filtered_calls as (
    select *
    from selected_calls(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], $reps::varchar[], $scope
    )
),

team_rate as (
    select
        count(*) as calls,
        count(*) filter (where manager_action = 'took_over') as took_over,
        rate(count(*) filter (where manager_action = 'took_over'), count(*)) as p0
    from filtered_calls
),

largest as (
    select max(calls) as max_n
    from (
        select manager, count(*) as calls
        from filtered_calls
        group by manager
    ) as per_manager
),

grid as (
    select unnest(generate_series(1, max_n)) as n
    from largest
    where max_n is not null
),

spread as (
    select
        g.n,
        t.calls,
        t.took_over,
        t.p0,
        sqrt(greatest(coalesce($phi::double, 1.0), 1.0) * t.p0 * (1 - t.p0) / g.n) as se
    from grid as g
    cross join team_rate as t
)

select
    n::bigint as n,
    calls::bigint as team_calls,
    took_over::bigint as team_took_over,
    p0::double as p0,
    greatest(0.0, p0 - z95() * se)::double as lo95,
    least(1.0, p0 + z95() * se)::double as hi95,
    greatest(0.0, p0 - 3.090232306167813 * se)::double as lo998,
    least(1.0, p0 + 3.090232306167813 * se)::double as hi998
from spread
order by n
