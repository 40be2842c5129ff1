-- Posts per thread, person and day (the threads they start: metrics/thread_starts.sql).
-- Template slot (from the code, never user text): <activities> (the activities to read).
select source, thread_ref, person_key, occurred_at::date as day, count(*)::integer as threads
from {activities}
where kind = 'post'
  and thread_ref is not null
group by all
