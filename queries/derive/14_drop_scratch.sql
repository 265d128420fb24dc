-- drop_scratch: the derivation's temporary tables, once the derived tables are written.
-- Grain: none. Parameters: none.
drop table if exists events;
drop table if exists calls_ordered;
drop table if exists derive_scope;
