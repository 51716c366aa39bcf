#!/bin/sh
# compose.yaml's postgres service runs this on its first start (an empty data volume): the
# database, schema and roles of roles.sql, with the passwords from compose's secret files.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v database=tickets -v schema=tickets \
  -v owner_role=tickets_owner -v owner_password="$(cat "$TICKETS_OWNER_PASSWORD_FILE")" \
  -v app_role=tickets_app -v app_password="$(cat "$TICKETS_APP_PASSWORD_FILE")" \
  -f /deploy/postgres/roles.sql
