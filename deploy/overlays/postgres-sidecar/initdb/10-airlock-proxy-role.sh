#!/usr/bin/env bash
# Run once by the postgres image's entrypoint when it creates the database
# (/docker-entrypoint-initdb.d). Creates the least-privilege role Airlock logs
# in as: no superuser, no role or database creation, no replication, no RLS
# bypass, no membership in pg_read_server_files / pg_write_server_files /
# pg_execute_server_program. Engineers get what this role may do, and no more,
# whatever the gate allows. Grant more (or less) here to fit the application.
set -euo pipefail
: "${UPSTREAM_ROLE_PASSWORD:?set UPSTREAM_ROLE_PASSWORD (Secret key postgres-password)}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v password="$UPSTREAM_ROLE_PASSWORD" -v db="${POSTGRES_DB:-postgres}" <<'SQL'
CREATE ROLE airlock_proxy LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'password';
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO airlock_proxy;
GRANT USAGE, CREATE ON SCHEMA public TO airlock_proxy;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public TO airlock_proxy;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO airlock_proxy;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES TO airlock_proxy;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO airlock_proxy;
SQL
