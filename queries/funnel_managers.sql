-- funnel_managers: each manager's point on the Managers page's funnel plot — calls observed,
-- calls taken over, the intervention rate — and where it falls against the limits of
-- queries/funnel_limits.sql at that many calls: outside the 99.8% limits, outside the 95%
-- limits, or within chance of the team rate p0. A rate is outside the z limits when it is above
-- p0 + z·se or below p0 − z·se, se = sqrt(φ p0(1 − p0) / n) (clipping the limits to [0, 1]
-- never moves a rate inside or out).
--
-- Grain: one row per manager with selected calls, by manager.
--
-- Parameters (as queries/funnel_limits.sql):
--   $start     first day included (DATE or null = open)
--   $end       last day included (DATE or null = open)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $managers  VARCHAR[]: managers to keep (empty = all)
--   $reps      VARCHAR[]: reps to keep (empty = all)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--   $phi       DOUBLE or null: the overdispersion factor φ the limits are widened by
with per_manager as (
    select
        manager,
        count(*) as calls,
        count(*) filter (where manager_action = 'took_over') as took_over
    from selected_calls(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], $reps::varchar[], $scope
    )
    group by manager
),

placed as (
    select
        m.manager,
        m.calls,
        m.took_over,
        rate(m.took_over, m.calls) as rate,
        rate(sum(m.took_over) over (), sum(m.calls) over ()) as p0
    from per_manager as m
),

spread as (
    select
        *,
        sqrt(greatest(coalesce($phi::double, 1.0), 1.0) * p0 * (1 - p0) / calls) as se
    from placed
)

select
    manager,
    calls::bigint as calls,
    took_over::bigint as took_over,
    rate::double as intervention_rate,
    case
        when rate > p0 + 3.090232306167813 * se or rate < p0 - 3.090232306167813 * se
            then 'outside the 99.8% limits'
        when rate > p0 + z95() * se or rate < p0 - z95() * se then 'outside the 95% limits'
        else 'within chance of the team rate'
    end as position,
    rate > p0 + z95() * se or rate < p0 - z95() * se as outside95
from spread
order by manager
