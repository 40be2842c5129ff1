-- The rows of m_person_day of the people holding more than one version (a version bounded at
-- either end: metrics/people_versions.sql opens a single one at both), by day as in the base (a
-- range reads its own days only), for metrics.bases.keep_versions.
-- Template slots (from the code): <days> (the table made), <versions> (the versions kept).
create or replace table {days} as
with

moved as (
    select distinct person_key
    from {versions}
    where valid_from is not null or valid_to is not null
),

final as (
    select d.*
    from m_person_day as d
    semi join moved using (person_key)
    order by d.day, d.person_key
)

select * from final
