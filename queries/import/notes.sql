-- import/notes: the notes of a staged file, as the store's `notes` table takes them.
--
-- Grain: one row per note. A row gives up to three: its behaviour (with its polarity and
-- severity), what went well (praise) and what to fix (criticism, with the row's severity);
-- the row's category goes with each. note_no is the row in the file (it orders a call's notes);
-- behavior_key is the importer's key of the note's text (behavior_key in
-- queries/import/macros.sql, a temp macro of the connection that staged the file). Reads
-- `norm`, the staged file's typed rows (importer: a CTE over `<stage>_norm`), their text
-- trimmed already and '' as null.
--
-- Parameters: none.

select
    n.call_key,
    n._row::bigint as note_no,
    n.behavior,
    behavior_key(n.behavior) as behavior_key,
    n.polarity,
    n.severity,
    n.category
from norm as n
where n.behavior is not null
union all
select
    n.call_key,
    n._row::bigint,
    n.went_well,
    behavior_key(n.went_well),
    'praise',
    null::varchar,
    n.category
from norm as n
where n.went_well is not null
union all
select
    n.call_key,
    n._row::bigint,
    n.to_fix,
    behavior_key(n.to_fix),
    'criticism',
    n.severity,
    n.category
from norm as n
where n.to_fix is not null
