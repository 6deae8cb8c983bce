-- CreateTable
CREATE TABLE "audit_tree_leaf" (
    "idx" BIGINT NOT NULL,
    "seq" BIGINT NOT NULL,
    "event_id" UUID NOT NULL,
    "tag" TEXT NOT NULL,

    CONSTRAINT "audit_tree_leaf_pkey" PRIMARY KEY ("idx")
);

-- CreateTable
CREATE TABLE "audit_tree_node" (
    "level" INTEGER NOT NULL,
    "idx" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_tree_node_pkey" PRIMARY KEY ("level","idx")
);

-- CreateTable
CREATE TABLE "audit_checkpoint" (
    "tree_size" BIGINT NOT NULL,
    "root_hash" TEXT NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL,
    "jws" TEXT NOT NULL,

    CONSTRAINT "audit_checkpoint_pkey" PRIMARY KEY ("tree_size")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_tree_leaf_seq_key" ON "audit_tree_leaf"("seq");

-- CreateIndex
CREATE UNIQUE INDEX "audit_tree_leaf_event_id_key" ON "audit_tree_leaf"("event_id");

-- Append-only, as audit_event: the runtime role only ever adds to the tree and its checkpoints.
CREATE TRIGGER audit_tree_leaf_append_only BEFORE UPDATE OR DELETE ON "audit_tree_leaf"
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_tree_node_append_only BEFORE UPDATE OR DELETE ON "audit_tree_node"
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON "audit_checkpoint"
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
