-- The stays of participation.sql (see there): the links from staff to held, on their own so that a
-- load can hold held in a table for every query of one grain and attribution
-- (metrics.participation.shared_stays). Each link ends with a comma: the chain goes on.
-- Template slots (from the code or an allow-list, never user text): <person>, <lag_same>, <groups>,
-- <trunc>, <step>.

-- A group a person held, over consecutive versions (versions that change another attribute than
-- the ones grouped by are one stay), from the period its stay began in to the one it ended in,
-- cut to the employment: the person counts in the headcount of the group in each of those periods.
stay_starts as (
    select
        *,
        case when lag(valid_to) over w = valid_from and ({lag_same}) then 0 else 1 end as starts
    from staff
    window w as (partition by {person} order by valid_from nulls first)
),

stays as (
    select
        person_key,
        {groups},
        any_value(hired_period) as hired_period,
        any_value(left_period) as left_period,
        case when bool_or(valid_from is null) then null else min(valid_from) end as valid_from,
        case when bool_or(valid_to is null) then null else max(valid_to) end as valid_to
    from (
        select *, sum(starts) over (partition by {person} order by valid_from nulls first) as stay
        from stay_starts
    )
    group by person_key, stay, {groups}
),

stay_periods as (
    select
        person_key,
        {groups},
        greatest(hired_period, date_trunc('{trunc}', valid_from)::date) as from_period,
        least(left_period, date_trunc('{trunc}', (valid_to - interval 1 day))::date) as to_period
    from stays
),

-- Two stays in the same group (A, then B, then A again) touching the same period count once in it.
held as (
    select
        {groups},
        case
            when lag(to_period) over w >= from_period then (lag(to_period) over w + {step})::date
            else from_period
        end as hired_period,
        to_period as left_period
    from stay_periods
    window w as (partition by person_key, {groups} order by from_period nulls first)
),
