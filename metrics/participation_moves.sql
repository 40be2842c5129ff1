-- The moves of participation.sql's headcounts (see there), from the stays of held alone: per group,
-- the people who arrive in each period (from the one they were hired in; null: hired before any
-- period, or not known) and those who leave (from the period after the one they left in), the
-- stays ending before they begin counting nowhere. On its own so that a load can hold it in a
-- table beside held (metrics.participation.shared_stays): a query reads a row per group and
-- period of arrival or departure rather than one per stay. It ends with a comma: the chain goes on.
-- Template slots (from the code or an allow-list, never user text): <groups>, <step>.
held_moves as (
    select {groups}, period_start, sum(people)::bigint as people
    from (
        select {groups}, hired_period as period_start, count(*) as people
        from held
        where hired_period is null or left_period is null or left_period >= hired_period
        group by all
        union all
        select {groups}, (left_period + {step})::date as period_start, -count(*) as people
        from held
        where left_period is not null and (hired_period is null or left_period >= hired_period)
        group by all
    )
    group by all
),
