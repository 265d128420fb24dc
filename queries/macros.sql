-- macros: the scalar macros every query uses, created in every store (and in-memory store).
-- Grain: definitions (no rows). Parameters: none.

-- The 95% two-sided normal quantile: the one place SQL writes it (effects.Z_95 in Python,
-- checked equal by tests/test_store_sql.py).
create or replace macro z95() as 1.959963984540054::double;

-- Wilson score interval for k successes in n trials at 95%: a struct {lo, hi}; null when
-- n = 0 (so wilson(k, n).lo is null too). lo is 0 at k = 0 and hi is 1 at k = n exactly.
create or replace macro wilson(k, n) as
    case when n > 0 then
        {
            'lo': case when k = 0 then 0.0 else
                ((k / n) + z95() ** 2 / (2 * n)
                 - z95() * sqrt((k / n) * (1 - k / n) / n + z95() ** 2 / (4 * n ** 2)))
                / (1 + z95() ** 2 / n)
            end::double,
            'hi': case when k = n then 1.0 else
                ((k / n) + z95() ** 2 / (2 * n)
                 + z95() * sqrt((k / n) * (1 - k / n) / n + z95() ** 2 / (4 * n ** 2)))
                / (1 + z95() ** 2 / n)
            end::double
        }
    end;

-- A share p carried over to the ratio p / (1 - p); null when p = 1 (no upper bound).
create or replace macro share_to_ratio(p) as
    case when p < 1 then p / (1 - p) end::double;

-- k / n as a double; null when n = 0.
create or replace macro rate(k, n) as case when n > 0 then k::double / n end;

-- The recurrence counts of a group: recognised praise (on a debriefed call) and unrecognised
-- (on a call without a debrief), recurred or not, and mistakes by the manager's response on
-- the call where they were noted, repeated or not. An aggregate over units (a call, an event,
-- or a pre-summed kind of call) that carry those four counts and their call's action and
-- debrief: use it in a grouped select and read the fields. metrics.sql and effect_strata.sql
-- both count through it, so the crude and the within-stratum figures count the same events.
create or replace macro recurrence_counts(
    praise_eligible, praise_again, criticism_eligible, criticism_again, manager_action, debrief
) as {
    'rec_eligible': sum(praise_eligible) filter (where debrief),
    'rec_recurred': sum(praise_again) filter (where debrief),
    'unrec_eligible': sum(praise_eligible) filter (where not debrief),
    'unrec_recurred': sum(praise_again) filter (where not debrief),
    'mr_took_over_eligible': sum(criticism_eligible) filter (where manager_action = 'took_over'),
    'mr_took_over_repeated': sum(criticism_again) filter (where manager_action = 'took_over'),
    'mr_assisted_eligible': sum(criticism_eligible) filter (where manager_action = 'assisted'),
    'mr_assisted_repeated': sum(criticism_again) filter (where manager_action = 'assisted'),
    'mr_observed_debriefed_eligible': sum(criticism_eligible) filter (
        where manager_action = 'observed' and debrief is true
    ),
    'mr_observed_debriefed_repeated': sum(criticism_again) filter (
        where manager_action = 'observed' and debrief is true
    ),
    'mr_observed_only_eligible': sum(criticism_eligible) filter (
        where manager_action = 'observed' and debrief is not true
    ),
    'mr_observed_only_repeated': sum(criticism_again) filter (
        where manager_action = 'observed' and debrief is not true
    )
};
