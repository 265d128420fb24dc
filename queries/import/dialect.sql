-- import/dialect: the delimiter, quote and escape character DuckDB's sniffer finds in a CSV
-- file, read as import/read_csv reads it — for the plain Python reader that works out each
-- record's physical line when a file has problems to report.
--
-- Grain: one row (the file's dialect).
--
-- Parameters:
--   $path      the file, as a literal path (importer._literal: no globbing)
--   $encoding  'utf-8' or 'latin-1': the encoding the file was read in
select delimiter, quote, escape
from sniff_csv($path, header = false, all_varchar = true, encoding = $encoding,
    ignore_errors = true)
