-- activity_uid holds md5_number() of the source's natural key of an event: an unsigned 128-bit
-- number, so the column must be unsigned to hold every digest.
alter table activities alter activity_uid type uhugeint;

-- The e-mail domains of the enterprise, pseudonymised, learnt from the HR directory: a network
-- account from another domain is a guest.
create table home_domains (
    domain_id varchar primary key,          -- pseudonym of the domain
    people    integer not null
);
