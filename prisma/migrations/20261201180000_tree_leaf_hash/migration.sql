-- The leaf hash kept with its leaf instead of as a level-0 row of audit_tree_node: one row
-- fewer per audit event. Leaves appended before this keep theirs in audit_tree_node (NULL here);
-- proofs read level 0 from either place, so no existing row is rewritten.
-- AlterTable
ALTER TABLE "audit_tree_leaf" ADD COLUMN     "hash" BYTEA;
