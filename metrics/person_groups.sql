-- Each person's group (the attribute chosen, External for external people): what the
-- materialised person-level network results are compared with, attribute by attribute, without
-- summing the interactions again.
-- Continues the chain of interactions.sql (its slot named interactions); only membership is read.
{interactions}

final as (
    select person_key, grp from membership
)

select * from final
