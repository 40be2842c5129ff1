-- The onboarding funnel's steps on the days at a range's ends, per person: active, reacted,
-- contributed, and the months contributed in (the days at the ends fall in two months at most: the
-- range's first and one from $second_month; a distinct count of their months without one). Read
-- by person_range_bits.sql (end_days) and metrics/lifecycle.py (organisation_funnel).
-- Template slots (from the code): <person_day> (per person and day, cut to the range).
-- Bound parameters: $from_date, $to_date, $days_from, $days_to, $more_days_from, $more_days_to,
-- $second_month (metrics.bases.bits_parameters).
select
    person_key,
    bool_or(active) as active,
    bool_or(reactions + posts + replies > 0) as reacted,
    bool_or(posts + replies > 0) as contributed,
    (bool_or(posts + replies > 0 and day < $second_month::date)::integer
     + bool_or(posts + replies > 0 and day >= $second_month::date)::integer) as months_contributed
from {person_day}
where (day >= $days_from::date and day < $days_to::date)
   or (day >= $more_days_from::date and day < $more_days_to::date)
group by all
