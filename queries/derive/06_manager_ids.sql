-- manager_ids: an integer code per manager with calls; a manager keeps it while they have
-- calls, managers new to the store (on the calls of calls_ordered) get the next codes in name
-- order, as rep_ids.
-- Grain: one row per manager. Parameters: none.
insert into manager_ids
select
    (select coalesce(max(m.manager_id), 0) from manager_ids as m)
        + row_number() over (order by n.manager)::integer as manager_id,
    n.manager
from (
    select distinct o.manager
    from calls_ordered as o
    where o.manager not in (select m.manager from manager_ids as m)
) as n
