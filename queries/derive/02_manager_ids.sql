-- manager_ids: an integer code per manager, in name order.
-- Grain: one row per manager. Parameters: none.
create or replace table manager_ids as
select row_number() over (order by manager)::integer as manager_id, manager
from (select distinct manager from calls)
