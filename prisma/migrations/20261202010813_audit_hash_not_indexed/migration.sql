-- DropIndex
DROP INDEX "audit_event_hash_key";
