-- import/read_csv: a CSV file as DuckDB reads it for the importer — every cell as text and
-- the header as the first record, so that columns stay positional (column0, column1, ...):
-- the importer renames them c0, c1... in the one relation it generates (typed.sql's
-- `projection`). DuckDB's sniffer finds the delimiter and the quoting; records it cannot read
-- go to the rejects tables named below instead of failing the read.
--
-- Grain: one row per record of the file, the header first.
--
-- Parameters:
--   $path           the file, as a literal path (importer._literal: no globbing)
--   $encoding       'utf-8' or 'latin-1' (importer.ENCODINGS, tried in turn)
--   $rejects_table  the temp table the records DuckDB rejects go to (`<stage>_raw_rejects`)
--   $rejects_scan   the temp table that describes the read (`<stage>_raw_scan`)
select *
from read_csv(
    $path,
    header = false,
    all_varchar = true,
    encoding = $encoding,
    store_rejects = true,
    rejects_table = $rejects_table,
    rejects_scan = $rejects_scan
)
