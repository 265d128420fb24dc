-- effect_strata: the per-stratum counts behind the adjusted (within-rep or within-manager)
-- comparisons: recognised vs unrecognised recurrence, and each response's mistake repeat
-- against observed-and-debriefed. dashboard/effects.py turns them into Mantel–Haenszel risk
-- ratios with a stratum-clustered interval. Each count is defined exactly as the crude one of
-- metrics.sql (the same events, the same windows), split by stratum: summed over the strata of
-- a group they give metrics.sql's columns of the same name.
--
-- Grain: one row per group of $by and stratum (the rep, or the manager, of the call where the
-- event was noted) that has at least one eligible event. No rows when no event is eligible.
--
-- Columns besides the counts: rec_unknown_eligible / rec_unknown_recurred are praise events on
-- calls whose debrief is unknown (on neither side of the recognition comparison);
-- mr_observed_unknown_eligible / _repeated are mistakes on observed calls whose debrief is
-- unknown (counted with "observed only", as metrics.sql counts them).
--
-- Parameters (those of metrics.sql but the small-sample threshold):
--   $by        'all' | 'manager' | 'rep' | 'team' | 'month' | 'quarter' | 'behavior'
--   $adjust_by 'rep' | 'manager': what a stratum is
--   $start     first day included (DATE or null = open)
--   $end       last day included (DATE or null = open)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $managers  VARCHAR[]: managers to keep (empty = all)
--   $reps      VARCHAR[]: reps to keep (empty = all)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--   $window    K (1 to 10), as in metrics.sql
with filtered_calls as (
    select *
    from selected_calls(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], $reps::varchar[], $scope
    )
    where later_calls >= $window::integer
        and praise_events + criticism_events > 0
),

filtered_events as (
    select *
    from selected_events(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], $reps::varchar[], $scope
    )
    where $by::varchar = 'behavior'
        and later_calls >= $window::integer
),

units as (
    -- one row per eligible call (every grouping but behaviour) ...
    select
        case $by::varchar
            when 'manager' then manager
            when 'rep' then rep
            when 'team' then team
            when 'month' then month
            when 'quarter' then quarter
            else ''
        end as grp,
        0 as grp_id,
        case when $adjust_by::varchar = 'manager' then manager_id else rep_id end as stratum,
        manager_action,
        debrief,
        praise_events as praise_eligible,
        praise_recurred[$window::integer] as praise_again,
        criticism_events as criticism_eligible,
        criticism_repeated[$window::integer] as criticism_again
    from filtered_calls
    where $by::varchar <> 'behavior'
    union all
    -- ... or one row per eligible event (behaviour grouping)
    select
        null::varchar as grp,
        behavior_id as grp_id,
        case when $adjust_by::varchar = 'manager' then manager_id else rep_id end as stratum,
        manager_action,
        debrief,
        (polarity = 'praise')::integer as praise_eligible,
        (polarity = 'praise' and coalesce(gap <= $window::integer, false))::integer
            as praise_again,
        (polarity = 'criticism')::integer as criticism_eligible,
        (polarity = 'criticism' and coalesce(gap <= $window::integer, false))::integer
            as criticism_again
    from filtered_events
),

strata as (
    select
        grp,
        grp_id,
        stratum,
        -- the crude counts' definitions (macros.sql), split by stratum
        recurrence_counts(
            praise_eligible, praise_again, criticism_eligible, criticism_again,
            manager_action, debrief
        ) as r,
        -- events on calls whose debrief is unknown: on neither side of the recognition
        -- comparison; counted with "observed only" among mistakes
        sum(praise_eligible) filter (where debrief is null) as rec_unknown_eligible,
        sum(praise_again) filter (where debrief is null) as rec_unknown_recurred,
        sum(criticism_eligible) filter (where manager_action = 'observed' and debrief is null)
            as mr_observed_unknown_eligible,
        sum(criticism_again) filter (where manager_action = 'observed' and debrief is null)
            as mr_observed_unknown_repeated
    from units
    group by grp, grp_id, stratum
)

select
    coalesce(b.label, s.grp) as grp,
    s.stratum::bigint as stratum,
    coalesce(s.r.rec_eligible, 0)::bigint as rec_eligible,
    coalesce(s.r.rec_recurred, 0)::bigint as rec_recurred,
    coalesce(s.r.unrec_eligible, 0)::bigint as unrec_eligible,
    coalesce(s.r.unrec_recurred, 0)::bigint as unrec_recurred,
    coalesce(s.rec_unknown_eligible, 0)::bigint as rec_unknown_eligible,
    coalesce(s.rec_unknown_recurred, 0)::bigint as rec_unknown_recurred,
    coalesce(s.r.mr_took_over_eligible, 0)::bigint as mr_took_over_eligible,
    coalesce(s.r.mr_took_over_repeated, 0)::bigint as mr_took_over_repeated,
    coalesce(s.r.mr_assisted_eligible, 0)::bigint as mr_assisted_eligible,
    coalesce(s.r.mr_assisted_repeated, 0)::bigint as mr_assisted_repeated,
    coalesce(s.r.mr_observed_debriefed_eligible, 0)::bigint as mr_observed_debriefed_eligible,
    coalesce(s.r.mr_observed_debriefed_repeated, 0)::bigint as mr_observed_debriefed_repeated,
    coalesce(s.r.mr_observed_only_eligible, 0)::bigint as mr_observed_only_eligible,
    coalesce(s.r.mr_observed_only_repeated, 0)::bigint as mr_observed_only_repeated,
    coalesce(s.mr_observed_unknown_eligible, 0)::bigint as mr_observed_unknown_eligible,
    coalesce(s.mr_observed_unknown_repeated, 0)::bigint as mr_observed_unknown_repeated
from strata as s
left join behaviors as b on b.behavior_id = s.grp_id and $by::varchar = 'behavior'
order by grp, stratum
