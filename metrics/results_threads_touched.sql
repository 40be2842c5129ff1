-- The day the earliest thread answered by a reply added since a run was posted in: a thread's
-- first reply, and so the responsiveness of the period it was posted in, may be one of them
-- (metrics/results.py, first_thread_touched). Every post of such a thread counts, whoever wrote
-- it: the day may be earlier than needed, never later.
-- Bound parameters: $run (the last run the stored results were computed from).
with

added_replies as (
    select distinct source, thread_ref
    from activities
    where run_id > $run and kind = 'reply' and thread_ref is not null
),

final as (
    select min(a.occurred_at)::date as first_posted
    from activities as a
    semi join added_replies using (source, thread_ref)
    where a.kind = 'post'
)

select * from final
