-- The contributions (posts and replies) per space and day (docs/metrics.md, "Communities": a
-- space's last contribution and its trend), the days with one only.
-- Template slot (from the code, never user text): <space_days> (space_days.sql, or the table holding it).
with

final as (
    select space_key, day, sum(posts)::integer as posts, sum(replies)::integer as replies
    from {space_days}
    where posts + replies > 0
    group by all
)

select * from final
