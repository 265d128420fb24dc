-- scope_cleared: removes the derived rows of the reps in derive_scope, which the following
-- files derive again (nothing to remove in a full derivation: the tables start empty).
-- Everyone else's rows stay as they are, with their ids.
-- Grain: none (deletes). Parameters: none; reads derive_scope.
delete from event_facts
where rep_id in (
    select r.rep_id from rep_ids as r semi join derive_scope as s on s.rep = r.rep
);
delete from call_facts
where rep_id in (
    select r.rep_id from rep_ids as r semi join derive_scope as s on s.rep = r.rep
);
delete from behavior_spellings
where rep_id in (
    select r.rep_id from rep_ids as r semi join derive_scope as s on s.rep = r.rep
);
