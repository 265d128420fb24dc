-- behavior_choices: the behaviours to offer as a leader types a note, so spellings
-- converge: every behaviour noted on a call the session may see, under its usual spelling (behaviors.label), the
-- team's own first, then by how often noted.
--
-- Grain: one row per behaviour key.
--
-- Parameters:
--   $team  the team (VARCHAR; null = no team preferred)
--   $scope the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql):
--          only notes of calls the session may see count
with uses as (
    select
        n.behavior_key,
        count(*) as notes,
        count(*) filter (where c.team = $team::varchar) as team_notes
    from notes as n
    inner join selected_calls(null, null, []::varchar[], []::varchar[], []::varchar[], $scope) as c
        on c.call_key = n.call_key
    group by n.behavior_key
)

select b.label as behavior, u.team_notes::bigint as team_notes, u.notes::bigint as notes
from uses as u
inner join behaviors as b on b.behavior_key = u.behavior_key
order by u.team_notes desc, u.notes desc, b.label
