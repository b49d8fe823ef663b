-- 0005: the database itself refuses UPDATE and DELETE (and on PostgreSQL
-- TRUNCATE) on audit_log, so
-- the audit trail stays append-only even for code (or a person with a SQL
-- prompt) that bypasses src/domain/audit.c. The dialect words expand per
-- backend (src/store/store_sqlite.c, store_pg.c): SQLite raises from the
-- trigger body; PostgreSQL calls one plpgsql function. Someone with write
-- access to the database file can still drop the triggers; the hash chain
-- (`bangfu audit verify`) is what catches that.

{{REFUSE_FUNCTION}}

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log {{REFUSE_ROW}};
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log {{REFUSE_ROW}};
-- TRUNCATE exists on PostgreSQL only (and fires no row trigger).
{{PG_ONLY}} CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION bf_refuse_change();
