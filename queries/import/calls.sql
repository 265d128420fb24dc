-- import/calls: the calls of a staged file, as the store's `calls` table takes them, with the
-- flags the importer checks before any write.
--
-- Grain: one row per call (call_key: the observation_id, else date|manager|rep). Reads
-- `norm`, the staged file's typed rows (importer: a CTE over `<stage>_norm`).
--
-- Columns beyond the store's: first_row (the call's first row in the file), may_disagree (its
-- rows are not all alike: queries/import/disagree.sql tells whether they say different
-- things about the call, which the importer then reports), fingerprint (a
-- hash of the call and its notes, blind to the notes' order: tells an unchanged re-import).
-- Any non-null value is the call's (any_value skips nulls). The text of `norm` is trimmed
-- already, '' as null (the importer's projection).
--
-- Parameters: none.

with calls as (
    select
        n.call_key,
        -- a row's call_key is its observation_id when it has one
        case when bool_or(n.has_id) then n.call_key end as observation_id,
        any_value(n.observed_on) as observed_on,
        any_value(n.manager) as manager,
        any_value(n.rep) as rep,
        any_value(n.team) as team,
        any_value(n.planned_role) as planned_role,
        any_value(n.manager_action) as manager_action,
        any_value(n.debrief) as debrief,
        arg_min(n.deal, n._row) filter (where n.deal is not null) as deal,
        arg_min(n.deal_value, n._row) filter (where n.deal_value is not null) as deal_value,
        arg_min(n.outcome, n._row) filter (where n.outcome is not null) as outcome,
        min(n._row) as first_row,
        -- rows of one call that may disagree on its fields: not all alike, nulls included
        -- (one pair of aggregates instead of eight; queries/import/disagree.sql then checks
        -- these calls alone, where an empty team, role or debrief agrees with any)
        min(hash(n.observed_on, n.manager, n.rep, n.manager_action, n.team, n.planned_role,
            n.debrief))
            <> max(hash(n.observed_on, n.manager, n.rep, n.manager_action, n.team,
                n.planned_role, n.debrief)) as may_disagree,
        -- the notes' hashes summed: their order does not count (the same notes as notes.sql;
        -- one sum of a per-row sum, which costs a file without went_well/to_fix nothing)
        sum(
            case when n.behavior is not null then hash(n.behavior, n.polarity,
                n.severity, n.category)::hugeint else 0 end
            + case when n.went_well is not null then hash(n.went_well, 'praise', null::varchar,
                n.category)::hugeint else 0 end
            + case when n.to_fix is not null then hash(n.to_fix, 'criticism', n.severity,
                n.category)::hugeint else 0 end
        ) filter (
            where n.behavior is not null or n.went_well is not null or n.to_fix is not null
        ) as notes_hash
    from norm as n
    group by n.call_key
)
select
    c.* exclude (notes_hash),
    hash(c.observation_id, c.observed_on, c.manager, c.rep, c.team, c.planned_role,
        c.manager_action, c.debrief, c.deal, c.deal_value, c.outcome, c.notes_hash)
        as fingerprint
from calls as c
