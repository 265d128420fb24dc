-- ids_without_calls: removes the codes of reps, managers and teams left without calls (every
-- call of theirs deleted or moved), once call_facts holds every call again.
-- Grain: none (deletes). Parameters: none.
delete from rep_ids
where rep in (select s.rep from derive_scope as s)
    and rep not in (select o.rep from calls_ordered as o);
delete from manager_ids
where manager_id not in (select distinct f.manager_id from call_facts as f);
delete from team_ids
where team_id not in (select distinct f.team_id from call_facts as f);
