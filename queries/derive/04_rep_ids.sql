-- rep_ids: an integer code per rep with calls (the derivation sorts and joins on it). A rep
-- keeps its code while it has calls, so a write leaves other reps' rows alone; reps of
-- derive_scope new to the store get the next codes, in name order (a full derivation: every
-- code, in name order); 13_ids_without_calls removes the codes of reps left without calls.
-- Nothing may rely on the codes' order: queries order by names.
-- Grain: one row per rep. Parameters: none.
insert into rep_ids
select
    (select coalesce(max(r.rep_id), 0) from rep_ids as r)
        + row_number() over (order by s.rep)::integer as rep_id,
    s.rep
from derive_scope as s
where s.rep not in (select r.rep from rep_ids as r)
