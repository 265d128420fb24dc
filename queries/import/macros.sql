-- import/macros: the scalar macros the importer's SQL uses (created as temp macros on the
-- staging connection before any file is read).
--
-- Grain: none (macros, no rows). Parameters: none bound; each macro's arguments are below.
--
--   import_parse_day(value, slash_format)  a date part then an optional time -> date, or null:
--       `2026-03-02`, `2026-3-2 14:30`, `2026-03-02T14:30:00Z`, `3/2/2026 9:15 AM`,
--       `14.03.2026 10:30` (dotted: always day first); slashes follow slash_format
--       ('%m/%d/%Y' or '%d/%m/%Y'). strptime validates the day (2026-02-30 is none); a time
--       must be a time of day (0-23 h, or 1-12 with AM/PM; 0-59 min and s; a UTC offset).
--   behavior_key(text)  a behaviour's key: lower case, runs of white space one space (the
--       text is trimmed already); notes whose keys are equal are the same behaviour.
--   import_trim(text)   trim(text), without its cost where it would change nothing: DuckDB's
--       trim removes Unicode space separators, of ASCII only the space, so a text of ASCII
--       that neither starts nor ends with a space is its own trim (at 10 million rows the
--       fifteen cells of a row take 1.5 s instead of 3.3 s per 4 million rows on 2 cores).
--   import_fold(text)   lower case, runs of spaces and underscores one space (the regular
--       expression runs only where there is one).
--   import_coded(raw, spellings, vals)  the value of a spelling: lower case first, folded
--       only when that misses (most values are written in canonical form).

create or replace temp macro import_parse_day(value, slash_format) as (
    case
        when regexp_full_match(value,
            '(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}\.\d{1,2}\.\d{4})'
            || '([ T](([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?'
            || '|(0?[1-9]|1[0-2]):[0-5]\d(:[0-5]\d)?\s*[AaPp][Mm])'
            || '\s*(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?)?')
        then case
            when regexp_matches(value, '^\d{4}-')
                then try_strptime(regexp_extract(value, '^[0-9-]+'), '%Y-%m-%d')::date
            when regexp_matches(value, '^\d{1,2}\.')
                then try_strptime(regexp_extract(value, '^[0-9.]+'), '%d.%m.%Y')::date
            else try_strptime(regexp_extract(value, '^[0-9/]+'), slash_format)::date
        end
    end
);

create or replace temp macro behavior_key(text) as (
    case
        when regexp_matches(text, '\s\s|[\t\n\r\f\v]')
            then regexp_replace(lower(text), '\s+', ' ', 'g')
        else lower(text)
    end
);

create or replace temp macro import_trim(text) as (
    case
        when starts_with(text, ' ') or ends_with(text, ' ') or strlen(text) <> length(text)
            then trim(text)
        else text
    end
);

create or replace temp macro import_fold(text) as (
    case
        when regexp_matches(text, '[\s_]') then regexp_replace(lower(text), '[\s_]+', ' ', 'g')
        else lower(text)
    end
);

create or replace temp macro import_coded(raw, spellings, vals) as (
    coalesce(vals[list_position(spellings, lower(raw))],
        vals[list_position(spellings, import_fold(raw))])
);
