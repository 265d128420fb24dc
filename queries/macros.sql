-- macros: the scalar macros every query uses, created in every store (and in-memory store).
-- Grain: definitions (no rows). Parameters: none.

-- The 95% two-sided normal quantile: the one place SQL writes it (effects.Z_95 in Python,
-- checked equal by tests/test_store_sql.py).
create or replace macro z95() as 1.959963984540054::double;

-- Wilson score interval for k successes in n trials at 95%: a struct {lo, hi}; null when
-- n = 0 (so wilson(k, n).lo is null too). lo is 0 at k = 0 and hi is 1 at k = n exactly.
create or replace macro wilson(k, n) as
    case when n > 0 then
        {
            'lo': case when k = 0 then 0.0 else
                ((k / n) + z95() ** 2 / (2 * n)
                 - z95() * sqrt((k / n) * (1 - k / n) / n + z95() ** 2 / (4 * n ** 2)))
                / (1 + z95() ** 2 / n)
            end::double,
            'hi': case when k = n then 1.0 else
                ((k / n) + z95() ** 2 / (2 * n)
                 + z95() * sqrt((k / n) * (1 - k / n) / n + z95() ** 2 / (4 * n ** 2)))
                / (1 + z95() ** 2 / n)
            end::double
        }
    end;

-- A share p carried over to the ratio p / (1 - p); null when p = 1 (no upper bound).
create or replace macro share_to_ratio(p) as
    case when p < 1 then p / (1 - p) end::double;

-- k / n as a double; null when n = 0.
create or replace macro rate(k, n) as case when n > 0 then k::double / n end;
