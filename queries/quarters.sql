-- quarters: the calendar quarters that hold calls of the chosen teams, with their first and last
-- day, how many calls they hold, whether each is complete, and which one the quarterly review
-- opens on by default.
--
-- Grain: one row per quarter (YYYY-Qn) with at least one matching call, oldest first.
--
-- Parameters:
--   $teams  VARCHAR[]: teams to keep (empty = all; '' is "no team")
--   $scope  the session's scope (STRUCT, access.Scope.param(); see selected_calls.sql)
--   $today  DATE: the day the review is made (the CLI and the page pass today's date)
--
-- A quarter is complete when the data reaches its last day (the store's last observed call, any
-- team, is on or after it) or when it ended before $today. is_default marks the latest complete
-- quarter; when no quarter is complete yet, the latest quarter.
with store_range as (
    select max(observed_on) as last_observed
    from call_facts
),

filtered_calls as (
    select
        quarter,
        observed_on
    from selected_calls(null, null, $teams::varchar[], []::varchar[], []::varchar[], $scope)
),

per_quarter as (
    select
        quarter,
        date_trunc('quarter', min(observed_on))::date as first_day,
        (date_trunc('quarter', min(observed_on)) + interval 3 month - interval 1 day)::date
            as last_day,
        count(*) as calls,
        min(observed_on) as first_call,
        max(observed_on) as last_call
    from filtered_calls
    group by quarter
),

flagged as (
    select
        q.*,
        (q.last_day <= r.last_observed or q.last_day < $today::date) as complete
    from per_quarter as q
    cross join store_range as r
),

default_quarter as (
    select
        coalesce(
            max(quarter) filter (where complete),
            max(quarter)
        ) as quarter
    from flagged
)

select
    f.quarter,
    f.first_day,
    f.last_day,
    f.calls,
    f.first_call,
    f.last_call,
    f.complete,
    f.quarter = d.quarter as is_default
from flagged as f
cross join default_quarter as d
order by f.first_day
