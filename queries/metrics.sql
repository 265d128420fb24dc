-- metrics: the coaching metrics (calls, praise-to-criticism, actions, intervention and debrief
-- rates, recurrence after recognition, mistake repeat by response) with Wilson 95% intervals.
--
-- Grain: one row per group of $by. $by = 'all' gives exactly one row (grp = '') even when no
-- call matches; 'manager', 'rep', 'team' (no team = ''), 'month' (YYYY-MM), 'quarter'
-- (YYYY-Qn) group calls; 'behavior' groups a behaviour's notes and events with the calls that
-- carry at least one of them, keyed by its most common trimmed spelling (ties: smallest by
-- code point).
--
-- Parameters:
--   $by        'all' | 'manager' | 'rep' | 'team' | 'month' | 'quarter' | 'behavior'
--   $start     first day included (DATE or null = open)
--   $end       last day included (DATE or null = open)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $managers  VARCHAR[]: managers to keep (empty = all)
--   $reps      VARCHAR[]: reps to keep (empty = all)
--   $window    K: a praise event recurred / a mistake repeated when noted again on one of
--              the rep's next K calls; only events with at least K later calls are eligible.
--   $min_n     results resting on fewer eligible events (or calls) than this are flagged small
--
-- The look-ahead (event_facts.gap, later_calls) is derived from each rep's whole history in the
-- store, so filters select events but never shorten what comes after them.
with filtered_calls as (
    select *
    from call_facts
    where ($start::date is null or observed_on >= $start::date)
        and ($end::date is null or observed_on <= $end::date)
        and (len($teams::varchar[]) = 0 or list_contains($teams::varchar[], team))
        and (len($managers::varchar[]) = 0 or list_contains($managers::varchar[], manager))
        and (len($reps::varchar[]) = 0 or list_contains($reps::varchar[], rep))
),

filtered_events as (
    select *
    from event_facts
    where ($start::date is null or observed_on >= $start::date)
        and ($end::date is null or observed_on <= $end::date)
        and (len($teams::varchar[]) = 0 or list_contains($teams::varchar[], team))
        and (len($managers::varchar[]) = 0 or list_contains($managers::varchar[], manager))
        and (len($reps::varchar[]) = 0 or list_contains($reps::varchar[], rep))
),

group_calls as (
    select
        case $by::varchar
            when 'manager' then manager
            when 'rep' then rep
            when 'team' then team
            when 'month' then month
            when 'quarter' then quarter
            else ''
        end as grp,
        manager_action,
        debrief,
        planned_role
    from filtered_calls
    where $by::varchar <> 'behavior'
    union all
    select
        e.behavior_key as grp,
        c.manager_action,
        c.debrief,
        c.planned_role
    from (select distinct behavior_key, call_key from filtered_events) as e
    inner join filtered_calls as c on c.call_key = e.call_key
    where $by::varchar = 'behavior'
),

group_events as (
    select
        case $by::varchar
            when 'manager' then manager
            when 'rep' then rep
            when 'team' then team
            when 'month' then month
            when 'quarter' then quarter
            when 'behavior' then behavior_key
            else ''
        end as grp,
        polarity,
        notes,
        manager_action,
        debrief,
        later_calls >= $window::integer as eligible,
        later_calls >= $window::integer and coalesce(gap <= $window::integer, false) as again
    from filtered_events
),

call_stats as (
    select
        grp,
        count(*) as calls,
        count(*) filter (where manager_action = 'observed') as observed,
        count(*) filter (where manager_action = 'assisted') as assisted,
        count(*) filter (where manager_action = 'took_over') as took_over,
        count(debrief) as debrief_known,
        count(*) filter (where debrief) as debriefed,
        count(*) filter (where planned_role = 'observer') as planned_observer,
        count(*) filter (
            where planned_role = 'observer' and manager_action = 'took_over'
        ) as planned_observer_took_over
    from group_calls
    group by grp
),

event_stats as (
    select
        grp,
        sum(notes) as notes,
        sum(notes) filter (where polarity = 'praise') as praise,
        sum(notes) filter (where polarity = 'criticism') as criticism,
        count(*) filter (where polarity = 'praise' and debrief and eligible) as rec_eligible,
        count(*) filter (where polarity = 'praise' and debrief and again) as rec_recurred,
        count(*) filter (where polarity = 'praise' and not debrief and eligible) as unrec_eligible,
        count(*) filter (where polarity = 'praise' and not debrief and again) as unrec_recurred,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'took_over' and eligible
        ) as mr_took_over_eligible,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'took_over' and again
        ) as mr_took_over_repeated,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'assisted' and eligible
        ) as mr_assisted_eligible,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'assisted' and again
        ) as mr_assisted_repeated,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'observed' and debrief is true
                and eligible
        ) as mr_observed_debriefed_eligible,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'observed' and debrief is true
                and again
        ) as mr_observed_debriefed_repeated,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'observed'
                and debrief is not true and eligible
        ) as mr_observed_only_eligible,
        count(*) filter (
            where polarity = 'criticism' and manager_action = 'observed'
                and debrief is not true and again
        ) as mr_observed_only_repeated
    from group_events
    group by grp
),

behavior_spellings as (
    -- the most common trimmed spelling of each behaviour among the selected notes
    select
        n.behavior_key,
        n.behavior,
        count(*) as uses
    from notes as n
    inner join filtered_calls as c on c.call_key = n.call_key
    where $by::varchar = 'behavior'
    group by n.behavior_key, n.behavior
),

behavior_names as (
    select
        behavior_key,
        first(behavior order by uses desc, behavior asc) as label
    from behavior_spellings
    group by behavior_key
),

groups as (
    select grp from call_stats
    union
    select '' as grp where $by::varchar = 'all'
),

counts as (
    select
        coalesce(b.label, g.grp) as grp,
        coalesce(c.calls, 0) as calls,
        coalesce(e.notes, 0)::bigint as notes,
        coalesce(e.praise, 0)::bigint as praise,
        coalesce(e.criticism, 0)::bigint as criticism,
        coalesce(c.observed, 0) as observed,
        coalesce(c.assisted, 0) as assisted,
        coalesce(c.took_over, 0) as took_over,
        coalesce(c.debrief_known, 0) as debrief_known,
        coalesce(c.debriefed, 0) as debriefed,
        coalesce(c.planned_observer, 0) as planned_observer,
        coalesce(c.planned_observer_took_over, 0) as planned_observer_took_over,
        coalesce(e.rec_eligible, 0) as rec_eligible,
        coalesce(e.rec_recurred, 0) as rec_recurred,
        coalesce(e.unrec_eligible, 0) as unrec_eligible,
        coalesce(e.unrec_recurred, 0) as unrec_recurred,
        coalesce(e.mr_took_over_eligible, 0) as mr_took_over_eligible,
        coalesce(e.mr_took_over_repeated, 0) as mr_took_over_repeated,
        coalesce(e.mr_assisted_eligible, 0) as mr_assisted_eligible,
        coalesce(e.mr_assisted_repeated, 0) as mr_assisted_repeated,
        coalesce(e.mr_observed_debriefed_eligible, 0) as mr_observed_debriefed_eligible,
        coalesce(e.mr_observed_debriefed_repeated, 0) as mr_observed_debriefed_repeated,
        coalesce(e.mr_observed_only_eligible, 0) as mr_observed_only_eligible,
        coalesce(e.mr_observed_only_repeated, 0) as mr_observed_only_repeated
    from groups as g
    left join call_stats as c on c.grp = g.grp
    left join event_stats as e on e.grp = g.grp
    left join behavior_names as b on b.behavior_key = g.grp and $by::varchar = 'behavior'
),

rates as (
    select
        *,
        rate(praise, praise + criticism) as praise_share,
        rate(took_over, calls) as intervention_rate,
        rate(debriefed, debrief_known) as debrief_rate,
        rate(planned_observer_took_over, planned_observer) as planned_observer_took_over_rate,
        rate(rec_recurred, rec_eligible) as rec_rate,
        rate(unrec_recurred, unrec_eligible) as unrec_rate,
        rate(mr_took_over_repeated, mr_took_over_eligible) as mr_took_over_rate,
        rate(mr_assisted_repeated, mr_assisted_eligible) as mr_assisted_rate,
        rate(mr_observed_debriefed_repeated, mr_observed_debriefed_eligible)
            as mr_observed_debriefed_rate,
        rate(mr_observed_only_repeated, mr_observed_only_eligible) as mr_observed_only_rate
    from counts
)

select
    grp,
    calls,
    notes,
    praise,
    criticism,
    case when criticism > 0 then praise::double / criticism end as praise_to_criticism,
    share_to_ratio(wilson_lo(praise, praise + criticism)) as praise_to_criticism_lo,
    share_to_ratio(wilson_hi(praise, praise + criticism)) as praise_to_criticism_hi,
    praise_share,
    observed,
    assisted,
    took_over,
    intervention_rate,
    wilson_lo(took_over, calls) as intervention_rate_lo,
    wilson_hi(took_over, calls) as intervention_rate_hi,
    debrief_known,
    debriefed,
    debrief_rate,
    wilson_lo(debriefed, debrief_known) as debrief_rate_lo,
    wilson_hi(debriefed, debrief_known) as debrief_rate_hi,
    planned_observer,
    planned_observer_took_over,
    planned_observer_took_over_rate,
    wilson_lo(planned_observer_took_over, planned_observer) as planned_observer_took_over_rate_lo,
    wilson_hi(planned_observer_took_over, planned_observer) as planned_observer_took_over_rate_hi,
    $window::integer as window,
    rec_eligible,
    rec_recurred,
    rec_rate,
    wilson_lo(rec_recurred, rec_eligible) as rec_rate_lo,
    wilson_hi(rec_recurred, rec_eligible) as rec_rate_hi,
    unrec_eligible,
    unrec_recurred,
    unrec_rate,
    wilson_lo(unrec_recurred, unrec_eligible) as unrec_rate_lo,
    wilson_hi(unrec_recurred, unrec_eligible) as unrec_rate_hi,
    case when unrec_rate > 0 then rec_rate / unrec_rate end as lift,
    -- Katz log interval of a ratio of two proportions; needs a recurrence on both sides
    case when rec_recurred > 0 and unrec_recurred > 0 then
        exp(ln(rec_rate / unrec_rate) - 1.959963984540054 * sqrt(
            1.0 / rec_recurred - 1.0 / rec_eligible
            + 1.0 / unrec_recurred - 1.0 / unrec_eligible))
    end::double as lift_lo,
    case when rec_recurred > 0 and unrec_recurred > 0 then
        exp(ln(rec_rate / unrec_rate) + 1.959963984540054 * sqrt(
            1.0 / rec_recurred - 1.0 / rec_eligible
            + 1.0 / unrec_recurred - 1.0 / unrec_eligible))
    end::double as lift_hi,
    mr_took_over_eligible,
    mr_took_over_repeated,
    mr_took_over_rate,
    wilson_lo(mr_took_over_repeated, mr_took_over_eligible) as mr_took_over_rate_lo,
    wilson_hi(mr_took_over_repeated, mr_took_over_eligible) as mr_took_over_rate_hi,
    mr_assisted_eligible,
    mr_assisted_repeated,
    mr_assisted_rate,
    wilson_lo(mr_assisted_repeated, mr_assisted_eligible) as mr_assisted_rate_lo,
    wilson_hi(mr_assisted_repeated, mr_assisted_eligible) as mr_assisted_rate_hi,
    mr_observed_debriefed_eligible,
    mr_observed_debriefed_repeated,
    mr_observed_debriefed_rate,
    wilson_lo(mr_observed_debriefed_repeated, mr_observed_debriefed_eligible)
        as mr_observed_debriefed_rate_lo,
    wilson_hi(mr_observed_debriefed_repeated, mr_observed_debriefed_eligible)
        as mr_observed_debriefed_rate_hi,
    mr_observed_only_eligible,
    mr_observed_only_repeated,
    mr_observed_only_rate,
    wilson_lo(mr_observed_only_repeated, mr_observed_only_eligible) as mr_observed_only_rate_lo,
    wilson_hi(mr_observed_only_repeated, mr_observed_only_eligible) as mr_observed_only_rate_hi,
    calls < $min_n::integer as calls_small,
    praise + criticism < $min_n::integer as ratio_small,
    rec_eligible < $min_n::integer as rec_small,
    unrec_eligible < $min_n::integer as unrec_small,
    mr_took_over_eligible < $min_n::integer as mr_took_over_small,
    mr_assisted_eligible < $min_n::integer as mr_assisted_small,
    mr_observed_debriefed_eligible < $min_n::integer as mr_observed_debriefed_small,
    mr_observed_only_eligible < $min_n::integer as mr_observed_only_small
from rates
order by grp
