-- The numbers a load gives new people, spaces and runs. Each is the next after the greatest ever
-- given: the greatest in the table, or a greater one given to a row since deleted (a person
-- `ruche purge` forgot), which store_meta records after every load (`<column>_issued`) and which
-- a store loaded before that record kept in its sequence. A number is never given twice: a
-- deleted person's ties never pass to a newcomer. No sequence and no key constraint: the same
-- statements load a store on DuckLake, which has neither.

-- name: floors
-- The greatest number given before this write, per column.
set variable key_floors = (
    with recorded as (
        select key, value::integer as issued from store_meta
        where key in ('person_key_issued', 'space_key_issued', 'run_id_issued')
    ),

    sequences as (
        select replace(sequence_name, '_seq', '_issued') as key, last_value as issued
        from duckdb_sequences()
        where database_name = current_database()
          and sequence_name in ('person_key_seq', 'space_key_seq', 'run_id_seq')
    ),

    final as (
        select key, max(issued)::integer as issued
        from (select * from recorded union all select * from sequences)
        group by key
    )

    select coalesce(map(list(key), list(issued)), map()) from final
)

-- name: macros
create or replace temp macro next_person_key() as
    greatest((select coalesce(max(person_key), 0) from people),
             coalesce(getvariable('key_floors')['person_key_issued'], 0));
create or replace temp macro next_space_key() as
    greatest((select coalesce(max(space_key), 0) from spaces),
             coalesce(getvariable('key_floors')['space_key_issued'], 0));
create or replace temp macro next_run_id() as
    greatest((select coalesce(max(run_id), 0) from ingest_runs),
             coalesce(getvariable('key_floors')['run_id_issued'], 0)) + 1

-- name: record
-- After a load, in its transaction: the greatest numbers given so far.
delete from store_meta where key in ('person_key_issued', 'space_key_issued', 'run_id_issued');
insert into store_meta
select 'person_key_issued', next_person_key()::varchar
union all
select 'space_key_issued', next_space_key()::varchar
union all
select 'run_id_issued', (next_run_id() - 1)::varchar
