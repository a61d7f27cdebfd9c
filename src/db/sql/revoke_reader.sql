-- Undo grant_reader.sql and drop the role. {role} and {database} as there.
ALTER DEFAULT PRIVILEGES IN SCHEMA market REVOKE SELECT ON TABLES FROM {role};
REVOKE ALL ON ALL TABLES IN SCHEMA market FROM {role};
REVOKE USAGE ON SCHEMA market FROM {role};
REVOKE CONNECT ON DATABASE {database} FROM {role};
DROP ROLE {role};
