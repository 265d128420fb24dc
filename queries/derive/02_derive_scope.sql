-- derive_scope: the reps whose derived rows this derivation writes (a temporary table):
-- every rep with calls when $everything, else the reps of the temporary table touched_reps,
-- which a write fills with the rep of every call it adds, changes or deletes, before and
-- after (a call moved from one rep to another re-derives both). A rep is always derived with
-- its whole history: its call order and every look-ahead are the same as a full
-- derivation's.
-- Grain: one row per rep. Parameters: $everything (BOOLEAN); reads touched_reps.
create or replace temp table derive_scope as
select c.rep
from calls as c
where $everything
union
select t.rep
from touched_reps as t
where t.rep is not null
