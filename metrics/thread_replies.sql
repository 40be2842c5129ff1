-- The first day each person replied in each thread (whether a thread was answered by someone
-- other than its author: metrics/thread_starts.sql).
-- Template slot (from the code, never user text): <activities> (the activities to read).
select source, thread_ref, person_key, min(occurred_at)::date as first_day
from {activities}
where kind = 'reply'
  and thread_ref is not null
group by all
