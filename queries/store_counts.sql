-- store_counts: how many distinct calls and notes a store holds (an upload's check says so).
-- Grain: one row.
-- Parameters: none.
select
    (select count(*) from calls) as calls,
    (select count(*) from notes) as notes
