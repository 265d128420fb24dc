-- behaviour_choices: the behaviours to offer as a leader types a note, so spellings
-- converge: every behaviour in the store under its usual spelling (behaviors.label), the
-- team's own first, then by how often noted.
--
-- Grain: one row per behaviour key.
--
-- Parameters:
--   $team  the team (VARCHAR; null = no team preferred)
with uses as (
    select
        n.behavior_key,
        count(*) as notes,
        count(*) filter (where c.team = $team::varchar) as team_notes
    from notes as n
    inner join calls as c on c.call_key = n.call_key
    group by n.behavior_key
)

select b.label as behavior, u.team_notes::bigint as team_notes, u.notes::bigint as notes
from uses as u
inner join behaviors as b on b.behavior_key = u.behavior_key
order by u.team_notes desc, u.notes desc, b.label
