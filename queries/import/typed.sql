-- import/typed: every row of a file with its raw text and typed values side by side, and the
-- key of the call it belongs to.
--
-- Grain: one row per data row of the file. Reads `projection`, the one relation the importer
-- generates per file: the file's positional columns renamed to the fields (observation_id,
-- observed_on_raw, manager, rep, team, planned_role_raw, manager_action_raw, debrief_raw,
-- behavior, went_well, to_fix, polarity_raw, severity_raw, category, deal, deal_value_raw,
-- outcome; trimmed, '' as null, null for a field the file lacks) and _row.
--
-- Beside them: one `fails_<check>` flag per row check (true when the row fails it; the
-- messages are importer.CHECK_MESSAGES, reported by queries/import/problems.sql), and `bad`,
-- true when the row fails any check or has a control character in a text field.
--
-- Parameters:
--   $slash_format   '%m/%d/%Y', or '%d/%m/%Y' for a day-first file
--   $money          the regular expression an amount must match (importer.MONEY)
--   $max_amount     amounts this large or larger are refused (importer.MAX_AMOUNT)
--   $sp_manager_action, $val_manager_action, $sp_polarity, $val_polarity, $sp_planned_role,
--   $val_planned_role, $sp_severity, $val_severity, $sp_debrief, $val_debrief
--                   every accepted spelling of a value (folded) and its value, mappings
--                   included (importer._vocabulary)
--   $first_day, $last_day  DATE: the days a call can be observed on (importer.FIRST_YEAR..)
--   $control        the characters no name or note may hold (importer.CONTROL_SQL, RE2)
--
-- Written for speed at millions of rows: a plain ISO date takes a cast, and regular
-- expressions run only on the rows that need them. Behaviour keys are not worked out here
-- but where the notes are written (queries/import/notes.sql): the staged rows are written
-- and read back once, and three more columns of text cost more there than the keys do.

with typed as (
    select
        p.*,
        import_coded(p.manager_action_raw, $sp_manager_action, $val_manager_action)
            as manager_action,
        import_coded(p.polarity_raw, $sp_polarity, $val_polarity) as polarity,
        import_coded(p.planned_role_raw, $sp_planned_role, $val_planned_role) as planned_role,
        import_coded(p.severity_raw, $sp_severity, $val_severity) as severity,
        import_coded(p.debrief_raw, $sp_debrief, $val_debrief) as debrief_text,
        import_coded(p.debrief_raw, $sp_debrief, $val_debrief)::boolean as debrief,
        case
            when regexp_full_match(p.observed_on_raw, '\d{4}-\d{2}-\d{2}')
                then try_cast(p.observed_on_raw as date)
            else import_parse_day(p.observed_on_raw, $slash_format)
        end as observed_on,
        case
            when p.deal_value_raw is null then null
            when regexp_full_match(p.deal_value_raw, $money)
                then try_cast(regexp_replace(p.deal_value_raw, '[^0-9.\-]', '', 'g') as double)
        end as deal_value
    from projection as p
),
checked as (
    select
        t.* replace (case when abs(t.deal_value) < $max_amount then t.deal_value end as deal_value),
        coalesce(t.observation_id,
            strftime(t.observed_on, '%Y-%m-%d') || '|' || t.manager || '|' || t.rep) as call_key
    from typed as t
),

flagged as (
    select
        c.*,
        c.observed_on_raw is null as fails_date_required,
        c.observed_on_raw is not null and c.observed_on is null as fails_date_format,
        coalesce(c.observed_on not between $first_day::date and $last_day::date, false)
            as fails_date_years,
        c.manager is null as fails_manager_required,
        c.rep is null as fails_rep_required,
        c.manager_action_raw is null as fails_action_required,
        c.manager_action_raw is not null and c.manager_action is null as fails_action_known,
        c.polarity_raw is not null and c.polarity is null as fails_polarity_known,
        c.behavior is not null and c.polarity_raw is null as fails_polarity_required,
        c.behavior is null and c.polarity_raw is not null as fails_behavior_required,
        c.debrief_raw is not null and c.debrief_text is null as fails_debrief_known,
        c.planned_role_raw is not null and c.planned_role is null as fails_role_known,
        c.severity_raw is not null and c.severity is null as fails_severity_known,
        c.deal_value_raw is not null and c.deal_value is null as fails_amount_format,
        -- one regular expression over every text field (which field: problems.sql)
        coalesce(regexp_matches(concat(c.observation_id, c.manager, c.rep, c.team, c.behavior,
            c.went_well, c.to_fix, c.category, c.deal, c.outcome), $control), false)
            as has_control
    from checked as c
)

select
    f.*,
    f.fails_date_required or f.fails_date_format or f.fails_date_years
    or f.fails_manager_required or f.fails_rep_required or f.fails_action_required
    or f.fails_action_known or f.fails_polarity_known or f.fails_polarity_required
    or f.fails_behavior_required or f.fails_debrief_known or f.fails_role_known
    or f.fails_severity_known or f.fails_amount_format or f.has_control as bad
from flagged as f
