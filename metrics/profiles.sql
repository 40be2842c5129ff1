-- Profile completeness per group (METRICS.md, "Profile completeness"): the share of six fields
-- filled (photo, title, department, location, manager, about), per person then averaged.
-- A field the sources say nothing about (null) counts as not filled.
-- Template slot (from an allow-list): <group_columns> (g0).
-- Bound parameter: $as_of (the day whose internal employees are described).
with

population as (
    select
        {group_columns},
        coalesce(p.has_photo, false)::integer as photo,
        coalesce(p.has_title, false)::integer as title,
        (p.department is not null)::integer as department,
        coalesce(p.has_location, false)::integer as location,
        (p.manager_key is not null)::integer as manager,
        coalesce(p.has_about, false)::integer as about
    from people as p
    where not p.is_external
      and (p.hired_on is null or p.hired_on <= $as_of::date)
      and (p.left_on is null or p.left_on >= $as_of::date)
),

final as (
    select
        g0,
        count(*) as people,
        avg((photo + title + department + location + manager + about) / 6) as completeness,
        avg(photo) as has_photo,
        avg(title) as has_title,
        avg(department) as has_department,
        avg(location) as has_location,
        avg(manager) as has_manager,
        avg(about) as has_about
    from population
    group by g0
)

select * from final order by g0
