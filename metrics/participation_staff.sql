-- Internal people, with each version of their attributes: the select of participation.sql's staff link
-- (see there), on its own so that a load can hold it in a table for every query of one grain and
-- attribution (metrics.participation.shared_stays).
-- Template slots (from the code or an allow-list, never user text): <group_columns>, <trunc>, <people>.
select
    p.person_key,
    {group_columns},
    date_trunc('{trunc}', p.hired_on)::date as hired_period,
    date_trunc('{trunc}', p.left_on)::date as left_period,
    p.valid_from,
    p.valid_to
from {people} as p
where not p.is_external
