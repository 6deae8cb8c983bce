-- AlterTable
ALTER TABLE "client" ADD COLUMN     "france_connect_client_id" TEXT;

-- AlterTable
ALTER TABLE "dataset" ADD COLUMN     "france_connect_scope" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "client_france_connect_client_id_key" ON "client"("france_connect_client_id");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_france_connect_scope_key" ON "dataset"("france_connect_scope");
