-- Once, as a superuser: the service's database, its schema and its two roles. psql variables:
--   database, schema                     where the events live (DATABASE_URL's db and ?schema=)
--   owner_role, owner_password           owns the schema; runs `tickets migrate`
--   app_role, app_password               runs `tickets serve` and `tickets worker`
-- Then `tickets migrate` as the owner, then grants.sql as the owner (after every migrate).

CREATE ROLE :"owner_role" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"database" OWNER :"owner_role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app_role";

\connect :"database"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA :"schema" AUTHORIZATION :"owner_role";
