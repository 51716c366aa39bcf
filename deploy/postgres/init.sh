#!/bin/sh
# compose.yaml's postgres service runs this on its first start (an empty data volume): the
# database, schema and roles of roles.sql, with the passwords from .env.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v database=tickets -v schema=tickets \
  -v owner_role=tickets_owner -v owner_password="$TICKETS_OWNER_PASSWORD" \
  -v app_role=tickets_app -v app_password="$TICKETS_APP_PASSWORD" \
  -f /deploy/postgres/roles.sql
