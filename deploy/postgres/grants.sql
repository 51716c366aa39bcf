-- What the service's own role may do: read and append events, never change or remove one.
-- Run as the role that owns the schema (the one `tickets migrate` runs as), after every
-- `tickets migrate`; it is idempotent. psql variables (-v):
--   schema    the PostgreSQL schema of DATABASE_URL's ?schema= (default: public)
--   app_role  the role in the DATABASE_URL of `tickets serve` and `tickets worker`
-- e.g.  psql "$OWNER_URL" -v ON_ERROR_STOP=1 -v schema=tickets -v app_role=tickets_app \
--            -f deploy/postgres/grants.sql

\if :{?schema}
\else
  \set schema public
\endif

GRANT USAGE ON SCHEMA :"schema" TO :"app_role";

-- The tables that are not events (follower positions and jobs, scan index, schema version):
-- the worker updates and deletes their rows. Tables added by later migrations get the same.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"app_role";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA :"schema" TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA :"schema"
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA :"schema" GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

-- The events: SELECT and INSERT only. UPDATE stays granted for one reason: appending takes
-- `LOCK TABLE ... IN EXCLUSIVE MODE` (it keeps notification ids in commit order), which
-- PostgreSQL allows only to a role with UPDATE, DELETE or TRUNCATE on the table. The trigger
-- below refuses every UPDATE (and any DELETE or TRUNCATE, whoever runs it); only the table's
-- owner could drop it.
REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON :"schema".tickets_events FROM :"app_role";

CREATE OR REPLACE FUNCTION :"schema".tickets_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'tickets_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS append_only ON :"schema".tickets_events;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON :"schema".tickets_events
  FOR EACH ROW EXECUTE FUNCTION :"schema".tickets_events_are_append_only();
DROP TRIGGER IF EXISTS append_only_truncate ON :"schema".tickets_events;
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON :"schema".tickets_events
  FOR EACH STATEMENT EXECUTE FUNCTION :"schema".tickets_events_are_append_only();
