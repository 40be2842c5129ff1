-- The Microsoft 365 admin centre's Users export: every user of the tenant, the never-active included.
--
-- Input: stg_m365_users_raw (record_no and the export's columns as text). Output: stg_accounts
-- for the shared identity step (people and accounts, source m365-users).

-- name: stage
-- Bound: $date_formats, $latest_day, $line_offset (see m365.sql).
create or replace temp table stg_m365_users as
with raw as (
    select * from stg_m365_users_raw
),

typed as (
    select
        record_no,
        record_no + $line_offset as line,
        nullif(trim(upn), '') as upn,
        nullif(trim(created_date), '') as created_text,
        -- '2022-03-18 19:49:35Z' as the admin centre writes it, or as Excel re-saves it
        try_strptime(regexp_replace(trim(created_date), 'Z$', ''), $date_formats) as created_at,
        nullif(trim(soft_deleted_date), '') is not null as is_deleted,
        lower(trim(coalesce(block_credential, ''))) = 'true' as is_blocked,
        lower(trim(coalesce(licenses, ''))) in ('', 'unlicensed') as is_unlicensed,
        nullif(trim(title), '') is not null as has_title,
        coalesce(nullif(trim(office), ''), nullif(trim(city), '')) is not null as has_location
    from raw
),

checked as (
    select
        *,
        case
            when upn is null then 'User principal name is empty'
            when upn not like '%@%' then 'User principal name is not an address (expected name@domain)'
            when created_text is not null and created_at is null then 'When created is not a date (expected YYYY-MM-DD hh:mm:ssZ)'
            when created_at < date '2000-01-01' or created_at > $latest_day::date
                then 'When created is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
        end as reject_reason
    from typed
),

final as (
    select
        *,
        case
            when reject_reason is not null then 'rejected'
            when is_deleted then 'skipped:deleted'
            when is_unlicensed then 'skipped:unlicensed (a shared mailbox, room or service account)'
            when is_blocked then 'skipped:sign-in blocked'
            when row_number() over (partition by lower(upn) order by record_no) > 1 then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from checked
)

select * from final

-- name: accounts
insert into stg_accounts
select
    'users', $export, line, record_no, lower(upn), lower(upn),
    false, upn like '%#EXT#%', false, created_at, null, has_title, has_location, null,
    null
from stg_m365_users
where outcome = 'loaded'

-- name: rejects
insert into rejects
select $run_id, $export, line, 'accounts', reject_reason, json_object('account', pseudonym(lower(upn)))
from stg_m365_users
where outcome = 'rejected'

-- name: counts
select 'users' as input, outcome, count(*) as n from stg_m365_users group by all
