-- The combinations of today's groups (team and other attributes) held by internal people employed
-- during the periods of a range (metrics.teams.team_groups): the groups with a headcount in at
-- least one period of participation.sql under today's organisation, without counting anyone.
-- participation.sql counts a person in the periods from the one they were hired in (or the first
-- of the range) to the one they left in; so a combination has a headcount in some period exactly
-- when one of its people was hired before the range's last period ended and had not left before
-- the period they start counting in.
-- Template slots (from the code or an allow-list, never user text): <bounds>
-- (metrics.population.bounds_sql), <trunc> (the grain), <group_columns> (metrics.groups.group_columns:
-- g0, g1, ... over people p).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

-- the range's first and last periods, as participation.sql's calendar holds them (none without data)
first_last as (
    select
        date_trunc('{trunc}', first_day)::date as first_period,
        date_trunc('{trunc}', last_day)::date as last_period
    from bounds
    where first_day <= last_day
),

staff as (
    select
        {group_columns},
        date_trunc('{trunc}', p.hired_on)::date as hired_period,
        date_trunc('{trunc}', p.left_on)::date as left_period
    from people as p
    where not p.is_external
),

final as (
    select distinct s.* exclude (hired_period, left_period)
    from staff as s, first_last as f
    where coalesce(s.hired_period, f.first_period) <= f.last_period
      and (s.left_period is null
           or s.left_period >= greatest(coalesce(s.hired_period, f.first_period), f.first_period))
)

select * from final
