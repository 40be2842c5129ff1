-- The organisation's interactions and the share that involve an external person, with the number
-- of distinct people at their ends (METRICS.md, "External collaboration").
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

ties as (
    select a.person_key as source_key, a.target_key
    from activities as a
    where a.kind in ('reply', 'mention', 'reaction')
      and a.target_key is not null
      and a.target_key <> a.person_key
      and ($from_date::date is null or a.occurred_at >= $from_date::date)
      and ($to_date::date is null or a.occurred_at < $to_date::date + 1)
),

tie_ends as (
    select ties.source_key, ties.target_key, s.is_external or t.is_external as external
    from ties
    join people as s on s.person_key = ties.source_key
    join people as t on t.person_key = ties.target_key
),

ends as (
    select source_key as person_key from tie_ends
    union
    select target_key from tie_ends
),

final as (
    select
        (select count(*) from tie_ends) as interactions,
        (select count(*) from tie_ends where external) as external_interactions,
        (select count(*) from tie_ends where external) / nullif((select count(*) from tie_ends), 0) as external_share,
        (select count(*) from ends) as people
)

select * from final
