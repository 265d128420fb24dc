-- import/problems: every problem of a staged file's rows — each row check it fails (the
-- `fails_*` flags of queries/import/typed.sql, a control character in a text field) and each
-- field of a call its rows disagree on — for the importer to word with line numbers.
--
-- Grain: one row per row and check failed, and per row and call field that disagrees with the
-- call's first row that says it. Reads `norm_v`, the staged rows with their raw text beside
-- the typed values (importer: a CTE over `<stage>_norm_v`). Ordered by row, then column.
--
-- Columns: _row, col (the column as the file heads it), val (the cell as written), msg,
-- other (a disagreement: the first row of the call that says otherwise), call_key, first_val
-- (what that row says, as written), fld (the field), code (importer.CODES). A disagreement's
-- message holds {other}, {key} and {first}, filled in once line numbers are known.
--
-- Parameters:
--   $fields, $labels   VARCHAR[]: each field and the column that holds it, as problems name it
--   $checks, $messages VARCHAR[]: each check (a typed.sql flag without `fails_`, or
--                      'control') and its message (importer.CHECK_MESSAGES)
--   $key_name          what a call is told apart by: 'observation_id' or 'call'
--   $control           the characters no name or note may hold (importer.CONTROL_SQL, RE2)
with checked as (
    select v._row, c.check_name, c.fld, c.val, c.code
    from norm_v as v,
        unnest([
            {check_name: 'date_required', fld: 'observed_on', val: v.observed_on_raw,
                code: 'required', failed: v.fails_date_required},
            {check_name: 'date_format', fld: 'observed_on', val: v.observed_on_raw,
                code: 'bad_value', failed: v.fails_date_format},
            {check_name: 'date_years', fld: 'observed_on', val: v.observed_on_raw,
                code: 'bad_value', failed: v.fails_date_years},
            {check_name: 'manager_required', fld: 'manager', val: v.manager,
                code: 'required', failed: v.fails_manager_required},
            {check_name: 'rep_required', fld: 'rep', val: v.rep,
                code: 'required', failed: v.fails_rep_required},
            {check_name: 'action_required', fld: 'manager_action', val: v.manager_action_raw,
                code: 'required', failed: v.fails_action_required},
            {check_name: 'action_known', fld: 'manager_action', val: v.manager_action_raw,
                code: 'unknown_value', failed: v.fails_action_known},
            {check_name: 'polarity_known', fld: 'polarity', val: v.polarity_raw,
                code: 'unknown_value', failed: v.fails_polarity_known},
            {check_name: 'polarity_required', fld: 'polarity', val: v.polarity_raw,
                code: 'required', failed: v.fails_polarity_required},
            {check_name: 'behavior_required', fld: 'behavior', val: v.behavior,
                code: 'required', failed: v.fails_behavior_required},
            {check_name: 'debrief_known', fld: 'debrief', val: v.debrief_raw,
                code: 'unknown_value', failed: v.fails_debrief_known},
            {check_name: 'role_known', fld: 'planned_role', val: v.planned_role_raw,
                code: 'unknown_value', failed: v.fails_role_known},
            {check_name: 'severity_known', fld: 'severity', val: v.severity_raw,
                code: 'unknown_value', failed: v.fails_severity_known},
            {check_name: 'amount_format', fld: 'deal_value', val: v.deal_value_raw,
                code: 'bad_value', failed: v.fails_amount_format}
        ]) as u(c)
    where c.failed
),

text_cells as (
    -- the text fields of the rows with a control character in one of them
    select v._row, c.fld, c.val
    from norm_v as v,
        unnest([
            {fld: 'observation_id', val: v.observation_id}, {fld: 'manager', val: v.manager},
            {fld: 'rep', val: v.rep}, {fld: 'team', val: v.team},
            {fld: 'behavior', val: v.behavior}, {fld: 'went_well', val: v.went_well},
            {fld: 'to_fix', val: v.to_fix}, {fld: 'category', val: v.category},
            {fld: 'deal', val: v.deal}, {fld: 'outcome', val: v.outcome}
        ]) as u(c)
    where v.has_control
),

row_problems as (
    select _row, check_name, fld, val, code
    from checked
    union all
    select _row, 'control' as check_name, fld, val, 'control_character' as code
    from text_cells
    where regexp_matches(val, $control)
),

call_cells as (
    -- the fields every row of a call must agree on: the value compared, and as written
    select v._row, v.call_key, c.fld, c.val, c.raw
    from norm_v as v,
        unnest([
            {fld: 'observed_on', val: v.observed_on::varchar, raw: v.observed_on_raw},
            {fld: 'manager', val: v.manager, raw: v.manager},
            {fld: 'rep', val: v.rep, raw: v.rep},
            {fld: 'manager_action', val: v.manager_action, raw: v.manager_action_raw},
            {fld: 'team', val: v.team, raw: v.team},
            {fld: 'planned_role', val: v.planned_role, raw: v.planned_role_raw},
            {fld: 'debrief', val: v.debrief::varchar, raw: v.debrief_raw}
        ]) as u(c)
    where v.call_key is not null and c.val is not null
),

firsts as (
    -- the first row's value as the file writes it ('no', not false)
    select call_key, fld, arg_min(val, _row) as first_val, arg_min(raw, _row) as first_raw,
        min(_row) as first_row
    from call_cells
    group by call_key, fld
)

select
    p._row,
    list_extract($labels::varchar[], list_position($fields::varchar[], p.fld)) as col,
    p.val::varchar as val,
    list_extract($messages::varchar[], list_position($checks::varchar[], p.check_name)) as msg,
    null::bigint as other,
    null::varchar as call_key,
    null::varchar as first_val,
    p.fld,
    p.code
from row_problems as p
union all
select
    c._row,
    list_extract($labels::varchar[], list_position($fields::varchar[], c.fld)) as col,
    c.raw::varchar as val,
    'disagrees with line {other} of the same call (' || $key_name::varchar
    || ' {key}, which says {first})' as msg,
    f.first_row as other,
    c.call_key,
    f.first_raw::varchar as first_val,
    c.fld,
    'disagrees' as code
from call_cells as c
inner join firsts as f on f.call_key = c.call_key and f.fld = c.fld
where c.val <> f.first_val
order by 1, 2
