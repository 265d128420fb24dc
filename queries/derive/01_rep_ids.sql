-- rep_ids: an integer code per rep, in rep order (the derivation sorts and joins on it).
-- Grain: one row per rep. Parameters: none.
create or replace table rep_ids as
select row_number() over (order by rep)::integer as rep_id, rep
from (select distinct rep from calls)
