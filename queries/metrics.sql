-- metrics: the coaching metrics (calls, praise-to-criticism, actions, intervention and debrief
-- rates, recurrence after recognition, mistake repeat by response) with Wilson 95% intervals.
--
-- Grain: one row per group of $by. $by = 'all' gives exactly one row (grp = '') even when no
-- call matches; 'manager', 'rep', 'team' (no team = ''), 'month' (YYYY-MM), 'quarter'
-- (YYYY-Qn) group calls; 'behavior' groups a behaviour's notes and events with the calls that
-- carry at least one of them, keyed by its most common trimmed spelling among all its notes in
-- the store (ties: smallest by code point; behaviors.label), so a behaviour keeps its name
-- whatever the filters.
--
-- Besides the counts, rates and intervals: observed_share, assisted_share, took_over_share
-- (each action's share of the calls) and mistakes_eligible, mistakes_repeated (every mistake
-- and every repeat, the four responses added up).
--
-- Parameters:
--   $by        'all' | 'manager' | 'rep' | 'team' | 'month' | 'quarter' | 'behavior'
--   $start     first day included (DATE or null = open)
--   $end       last day included (DATE or null = open)
--   $teams     VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $managers  VARCHAR[]: managers to keep (empty = all)
--   $reps      VARCHAR[]: reps to keep (empty = all)
--   $scope     the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--   $window    K (1 to 10): a praise event recurred / a mistake repeated when noted again on
--              one of the rep's next K calls; only events with at least K later calls count.
--   $min_n     results resting on fewer eligible events (or calls) than this are flagged small
--              (the one small-sample rule, effects.small in Python): *_small columns
--
-- The look-ahead is derived once per write from each rep's whole history in the store (see
-- store.py: call_facts.praise_recurred / criticism_repeated hold, per call, how many of its
-- events recurred within 1..10 calls; event_facts.gap the same per event), so filters select
-- events but never shorten what comes after them, and a filter change only aggregates.
with filtered_calls as (
    select *
    from selected_calls(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], $reps::varchar[], $scope
    )
),

filtered_events as (
    -- the events of the selected calls (selected_calls.sql), for the behaviour grouping
    select *
    from selected_events(
        $start::date, $end::date, $teams::varchar[], $managers::varchar[], $reps::varchar[], $scope
    )
    where $by::varchar = 'behavior'
),

units as (
    -- What each unit brings to its group. Every grouping but behaviour: one row per call, its
    -- events summarised in call_facts (events eligible at window K when the call has at least
    -- K later calls; recurred within K: the K-th entry of the cumulative counts).
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
        manager_action,
        debrief,
        planned_role,
        1 as calls,
        notes,
        praise,
        criticism,
        case when later_calls >= $window::integer then praise_events else 0 end
            as praise_eligible,
        case when later_calls >= $window::integer
            then praise_recurred[$window::integer] else 0 end as praise_again,
        case when later_calls >= $window::integer then criticism_events else 0 end
            as criticism_eligible,
        case when later_calls >= $window::integer
            then criticism_repeated[$window::integer] else 0 end as criticism_again
    from filtered_calls
    where $by::varchar <> 'behavior'
    union all
    -- Behaviour grouping: one row per event; a call counts once per behaviour it carries.
    select
        null::varchar as grp,
        behavior_id as grp_id,  -- an integer groups faster; named after the grouping
        manager_action,
        debrief,
        planned_role,
        first_of_call::integer as calls,
        notes,
        case when polarity = 'praise' then notes else 0 end as praise,
        case when polarity = 'criticism' then notes else 0 end as criticism,
        (polarity = 'praise' and later_calls >= $window::integer)::integer as praise_eligible,
        (polarity = 'praise' and later_calls >= $window::integer
            and coalesce(gap <= $window::integer, false))::integer as praise_again,
        (polarity = 'criticism' and later_calls >= $window::integer)::integer
            as criticism_eligible,
        (polarity = 'criticism' and later_calls >= $window::integer
            and coalesce(gap <= $window::integer, false))::integer as criticism_again
    from filtered_events
),

kinds as (
    -- a small table: one row per group and kind of call (what the manager did, debrief, plan)
    select
        grp,
        grp_id,
        manager_action,
        debrief,
        planned_role,
        sum(calls) as calls,
        sum(notes) as notes,
        sum(praise) as praise,
        sum(criticism) as criticism,
        sum(praise_eligible) as praise_eligible,
        sum(praise_again) as praise_again,
        sum(criticism_eligible) as criticism_eligible,
        sum(criticism_again) as criticism_again
    from units
    group by grp, grp_id, manager_action, debrief, planned_role
),

stats as (
    select
        grp,
        grp_id,
        sum(calls) as calls,
        sum(calls) filter (where manager_action = 'observed') as observed,
        sum(calls) filter (where manager_action = 'assisted') as assisted,
        sum(calls) filter (where manager_action = 'took_over') as took_over,
        sum(calls) filter (where debrief is not null) as debrief_known,
        sum(calls) filter (where debrief) as debriefed,
        sum(calls) filter (where planned_role = 'observer') as planned_observer,
        sum(calls) filter (
            where planned_role = 'observer' and manager_action = 'took_over'
        ) as planned_observer_took_over,
        sum(notes) as notes,
        sum(praise) as praise,
        sum(criticism) as criticism,
        -- recognised / unrecognised praise and mistakes by response (macros.sql)
        recurrence_counts(
            praise_eligible, praise_again, criticism_eligible, criticism_again,
            manager_action, debrief
        ) as r
    from kinds
    group by grp, grp_id
),

groups as (
    select grp, grp_id from stats
    union
    select '' as grp, 0 as grp_id where $by::varchar = 'all'
),

counts as (
    select
        coalesce(b.label, g.grp) as grp,
        coalesce(s.calls, 0)::bigint as calls,
        coalesce(s.notes, 0)::bigint as notes,
        coalesce(s.praise, 0)::bigint as praise,
        coalesce(s.criticism, 0)::bigint as criticism,
        coalesce(s.observed, 0)::bigint as observed,
        coalesce(s.assisted, 0)::bigint as assisted,
        coalesce(s.took_over, 0)::bigint as took_over,
        coalesce(s.debrief_known, 0)::bigint as debrief_known,
        coalesce(s.debriefed, 0)::bigint as debriefed,
        coalesce(s.planned_observer, 0)::bigint as planned_observer,
        coalesce(s.planned_observer_took_over, 0)::bigint as planned_observer_took_over,
        coalesce(s.r.rec_eligible, 0)::bigint as rec_eligible,
        coalesce(s.r.rec_recurred, 0)::bigint as rec_recurred,
        coalesce(s.r.unrec_eligible, 0)::bigint as unrec_eligible,
        coalesce(s.r.unrec_recurred, 0)::bigint as unrec_recurred,
        coalesce(s.r.mr_took_over_eligible, 0)::bigint as mr_took_over_eligible,
        coalesce(s.r.mr_took_over_repeated, 0)::bigint as mr_took_over_repeated,
        coalesce(s.r.mr_assisted_eligible, 0)::bigint as mr_assisted_eligible,
        coalesce(s.r.mr_assisted_repeated, 0)::bigint as mr_assisted_repeated,
        coalesce(s.r.mr_observed_debriefed_eligible, 0)::bigint as mr_observed_debriefed_eligible,
        coalesce(s.r.mr_observed_debriefed_repeated, 0)::bigint as mr_observed_debriefed_repeated,
        coalesce(s.r.mr_observed_only_eligible, 0)::bigint as mr_observed_only_eligible,
        coalesce(s.r.mr_observed_only_repeated, 0)::bigint as mr_observed_only_repeated
    from groups as g
    left join stats as s on s.grp is not distinct from g.grp and s.grp_id = g.grp_id
    left join behaviors as b on b.behavior_id = g.grp_id and $by::varchar = 'behavior'
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
),

intervals as (
    -- Wilson's 95% interval of each rate (macros.sql), by rate name. wilson is applied once,
    -- to a list of the rates' (k, n): a macro is expanded where it is used, and one use per
    -- bound (twenty) made planning this query take 100 ms more than running it at 1 million
    -- notes.
    select
        *,
        map_from_entries(list_transform(
            [
                {'rate': 'praise_share', 'k': praise, 'n': praise + criticism},
                {'rate': 'intervention_rate', 'k': took_over, 'n': calls},
                {'rate': 'debrief_rate', 'k': debriefed, 'n': debrief_known},
                {'rate': 'planned_observer_took_over_rate',
                    'k': planned_observer_took_over, 'n': planned_observer},
                {'rate': 'rec_rate', 'k': rec_recurred, 'n': rec_eligible},
                {'rate': 'unrec_rate', 'k': unrec_recurred, 'n': unrec_eligible},
                {'rate': 'mr_took_over_rate',
                    'k': mr_took_over_repeated, 'n': mr_took_over_eligible},
                {'rate': 'mr_assisted_rate', 'k': mr_assisted_repeated, 'n': mr_assisted_eligible},
                {'rate': 'mr_observed_debriefed_rate',
                    'k': mr_observed_debriefed_repeated, 'n': mr_observed_debriefed_eligible},
                {'rate': 'mr_observed_only_rate',
                    'k': mr_observed_only_repeated, 'n': mr_observed_only_eligible}
            ],
            lambda r: {'key': r.rate, 'value': wilson(r.k, r.n)}
        )) as ci
    from rates
)

select
    grp,
    calls,
    notes,
    praise,
    criticism,
    case when criticism > 0 then praise::double / criticism end as praise_to_criticism,
    share_to_ratio(ci['praise_share'].lo) as praise_to_criticism_lo,
    share_to_ratio(ci['praise_share'].hi) as praise_to_criticism_hi,
    praise_share,
    observed,
    assisted,
    took_over,
    -- each action's share of the calls (the action-share charts)
    rate(observed, calls) as observed_share,
    rate(assisted, calls) as assisted_share,
    rate(took_over, calls) as took_over_share,
    intervention_rate,
    ci['intervention_rate'].lo as intervention_rate_lo,
    ci['intervention_rate'].hi as intervention_rate_hi,
    debrief_known,
    debriefed,
    debrief_rate,
    ci['debrief_rate'].lo as debrief_rate_lo,
    ci['debrief_rate'].hi as debrief_rate_hi,
    planned_observer,
    planned_observer_took_over,
    planned_observer_took_over_rate,
    ci['planned_observer_took_over_rate'].lo as planned_observer_took_over_rate_lo,
    ci['planned_observer_took_over_rate'].hi as planned_observer_took_over_rate_hi,
    $window::integer as window,
    rec_eligible,
    rec_recurred,
    rec_rate,
    ci['rec_rate'].lo as rec_rate_lo,
    ci['rec_rate'].hi as rec_rate_hi,
    unrec_eligible,
    unrec_recurred,
    unrec_rate,
    ci['unrec_rate'].lo as unrec_rate_lo,
    ci['unrec_rate'].hi as unrec_rate_hi,
    case when unrec_rate > 0 then rec_rate / unrec_rate end as lift,
    -- Katz log interval of a ratio of two proportions with 0.5 added to each cell (recurred
    -- and not, on each side): valid at 0 and at n, never zero-width; null without events on
    -- both sides
    case when rec_eligible > 0 and unrec_eligible > 0 then
        exp(ln(((rec_recurred + 0.5) / (rec_eligible + 1.0))
            / ((unrec_recurred + 0.5) / (unrec_eligible + 1.0)))
            - z95() * sqrt(
                1.0 / (rec_recurred + 0.5) - 1.0 / (rec_eligible + 1.0)
                + 1.0 / (unrec_recurred + 0.5) - 1.0 / (unrec_eligible + 1.0)))
    end::double as lift_lo,
    case when rec_eligible > 0 and unrec_eligible > 0 then
        exp(ln(((rec_recurred + 0.5) / (rec_eligible + 1.0))
            / ((unrec_recurred + 0.5) / (unrec_eligible + 1.0)))
            + z95() * sqrt(
                1.0 / (rec_recurred + 0.5) - 1.0 / (rec_eligible + 1.0)
                + 1.0 / (unrec_recurred + 0.5) - 1.0 / (unrec_eligible + 1.0)))
    end::double as lift_hi,
    -- every mistake, whatever the response: the four responses below split them
    mr_took_over_eligible + mr_assisted_eligible + mr_observed_debriefed_eligible
        + mr_observed_only_eligible as mistakes_eligible,
    mr_took_over_repeated + mr_assisted_repeated + mr_observed_debriefed_repeated
        + mr_observed_only_repeated as mistakes_repeated,
    mr_took_over_eligible,
    mr_took_over_repeated,
    mr_took_over_rate,
    ci['mr_took_over_rate'].lo as mr_took_over_rate_lo,
    ci['mr_took_over_rate'].hi as mr_took_over_rate_hi,
    mr_assisted_eligible,
    mr_assisted_repeated,
    mr_assisted_rate,
    ci['mr_assisted_rate'].lo as mr_assisted_rate_lo,
    ci['mr_assisted_rate'].hi as mr_assisted_rate_hi,
    mr_observed_debriefed_eligible,
    mr_observed_debriefed_repeated,
    mr_observed_debriefed_rate,
    ci['mr_observed_debriefed_rate'].lo as mr_observed_debriefed_rate_lo,
    ci['mr_observed_debriefed_rate'].hi as mr_observed_debriefed_rate_hi,
    mr_observed_only_eligible,
    mr_observed_only_repeated,
    mr_observed_only_rate,
    ci['mr_observed_only_rate'].lo as mr_observed_only_rate_lo,
    ci['mr_observed_only_rate'].hi as mr_observed_only_rate_hi,
    calls < $min_n::integer as calls_small,
    praise + criticism < $min_n::integer as ratio_small,
    rec_eligible < $min_n::integer as rec_small,
    unrec_eligible < $min_n::integer as unrec_small,
    mr_took_over_eligible < $min_n::integer as mr_took_over_small,
    mr_assisted_eligible < $min_n::integer as mr_assisted_small,
    mr_observed_debriefed_eligible < $min_n::integer as mr_observed_debriefed_small,
    mr_observed_only_eligible < $min_n::integer as mr_observed_only_small,
    debrief_known < $min_n::integer as debrief_small,
    planned_observer < $min_n::integer as planned_observer_small
from intervals
order by grp
