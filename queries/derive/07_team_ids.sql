-- team_ids: an integer code per team ('' for no team) with calls; kept while the team has
-- calls, teams new to the store (on the calls of calls_ordered) get the next codes in name
-- order, as rep_ids.
-- Grain: one row per team. Parameters: none.
insert into team_ids
select
    (select coalesce(max(t.team_id), 0) from team_ids as t)
        + row_number() over (order by n.team)::integer as team_id,
    n.team
from (
    select distinct o.team
    from calls_ordered as o
    where o.team not in (select t.team from team_ids as t)
) as n
