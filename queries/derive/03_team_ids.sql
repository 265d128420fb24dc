-- team_ids: an integer code per team ('' for no team), in name order.
-- Grain: one row per team. Parameters: none.
create or replace table team_ids as
select row_number() over (order by team)::integer as team_id, team
from (select distinct coalesce(team, '') as team from calls)
