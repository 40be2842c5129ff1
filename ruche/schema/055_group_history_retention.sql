-- What retention keeps of a purged month, for the figures participation gained: the people with an
-- activity on a day of the month (stickiness divides by them: a usage report names no day), and
-- the retention of contributors and readers. Null in the months folded before: unknown.
alter table group_history add column day_active integer;            -- of the active, those with a dated activity
alter table group_history add column contributed_before integer;    -- of the headcount, contributors the month before
alter table group_history add column contributors_retained integer; -- of those, contributors again
alter table group_history add column read_before integer;           -- of the headcount, readers the month before
alter table group_history add column readers_retained integer;      -- of those, readers again
