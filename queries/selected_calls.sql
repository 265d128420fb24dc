-- selected_calls: the one filter every query reads calls through — the days, teams, managers
-- and reps a view asks for, within what the person looking may see (their grant's scope) and
-- with the store's privacy policy applied. A DuckDB table macro, created when the store opens
-- (store.py); selected_events is the same selection of event_facts.
--
-- Grain: one row per call of call_facts (every column of it) that passes; selected_events:
-- one row per event of event_facts whose call passes.
--
-- Parameters (of the macros; queries pass their own bound $parameters to them):
--   start_day  first day included (DATE or null = open)
--   end_day    last day included (DATE or null = open)
--   teams      VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   managers   VARCHAR[]: managers to keep (empty = all)
--   reps       VARCHAR[]: reps to keep (empty = all)
--   scope      STRUCT (dashboard/access.py Scope.param()):
--                everything     BOOLEAN: the whole store (no grant limits it)
--                teams          VARCHAR[]: calls of these teams
--                managers       VARCHAR[]: calls these managers observed, and every call of
--                               a rep any of them observed (their reps' calls)
--                fold_teams     VARCHAR[]: teams shown as 'other' (privacy: too few reps)
--                fold_managers  VARCHAR[]: managers shown as 'other' (the same)
--                hide_reps      BOOLEAN: rep names hidden (privacy: no individual reps);
--                               every rep reads '(hidden)', and a rep filter selects nothing
--
-- A call is in scope when `everything`, or its team is one of scope.teams, or its manager one
-- of scope.managers, or its rep was ever observed by one of scope.managers. The folds rename
-- after the scope is applied and before the view's filters, so a view filtering on 'other'
-- gets every small group together and never one of them alone.
--
-- Speed: the parameters are constants when DuckDB plans a query, so every clause a session
-- and a view leave open (everything, empty lists, no folds: the `len(...) > 0 and` guards)
-- folds away and the macro is a plain scan of call_facts.
create or replace macro selected_calls(start_day, end_day, teams, managers, reps, scope) as table
with in_scope as (
    select *
    from call_facts as f
    where (start_day is null or f.observed_on >= start_day)
        and (end_day is null or f.observed_on <= end_day)
        and (
            struct_extract(scope, 'everything')::boolean
            or list_contains(struct_extract(scope, 'teams')::varchar[], f.team)
            or list_contains(struct_extract(scope, 'managers')::varchar[], f.manager)
            or f.rep_id in (
                select m.rep_id
                from call_facts as m
                where list_contains(struct_extract(scope, 'managers')::varchar[], m.manager)
            )
        )
),

shown as (
    select * replace (
        case when len(struct_extract(scope, 'fold_teams')::varchar[]) > 0
            and list_contains(struct_extract(scope, 'fold_teams')::varchar[], team)
            then 'other' else team end as team,
        case when len(struct_extract(scope, 'fold_managers')::varchar[]) > 0
            and list_contains(struct_extract(scope, 'fold_managers')::varchar[], manager)
            then 'other' else manager end as manager,
        case when struct_extract(scope, 'hide_reps')::boolean
            then '(hidden)' else rep end as rep
    )
    from in_scope
)

select *
from shown
where (len(teams::varchar[]) = 0 or list_contains(teams::varchar[], team))
    and (len(managers::varchar[]) = 0 or list_contains(managers::varchar[], manager))
    and (len(reps::varchar[]) = 0
        or (not struct_extract(scope, 'hide_reps')::boolean
            and list_contains(reps::varchar[], rep)));

-- Whether a call passes depends only on its day and its (team, manager, rep): an event passes
-- when its day does and its call's codes are those of a selected call (a semi join on those
-- few combinations costs a third of one on every selected call_id). When nothing but days can
-- narrow the selection (scope everything, no team, manager or rep asked for) every code
-- passes: the first branch, a plain scan of event_facts, and the second folds to nothing
-- (planned with the parameters as constants); otherwise the other way round. At 1 million
-- notes, by behaviour, unscoped: 185 ms of CPU against 275 ms with the semi join always.
-- True when only days can narrow the selection: scope everything, no team, manager or rep
-- asked for (a fold only renames, and without a filter on names selects the same calls).
create or replace macro selects_every_code(teams, managers, reps, scope) as
    struct_extract(scope, 'everything')::boolean
    and len(teams::varchar[]) = 0
    and len(managers::varchar[]) = 0
    and len(reps::varchar[]) = 0;

create or replace macro selected_events(start_day, end_day, teams, managers, reps, scope) as table
with combos as (
    select distinct c.team_id, c.manager_id, c.rep_id
    from selected_calls(start_day, end_day, teams, managers, reps, scope) as c
)

select e.*
from event_facts as e
where selects_every_code(teams, managers, reps, scope)
    and (start_day is null or e.observed_on >= start_day)
    and (end_day is null or e.observed_on <= end_day)
union all
select e.*
from event_facts as e
semi join combos as k
    on k.team_id = e.team_id and k.manager_id = e.manager_id and k.rep_id = e.rep_id
where not selects_every_code(teams, managers, reps, scope)
    and (start_day is null or e.observed_on >= start_day)
    and (end_day is null or e.observed_on <= end_day);
