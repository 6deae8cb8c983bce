-- The fetch budget leaves the consent row for a narrow row of its own (issue 14). Every
-- consented fetch rewrites the budget; a consent row is ~1.7 kB (sealed identity, receipt), so
-- each fetch wrote a whole new version of it, and about a third of those no longer fitted on
-- their page and went into every one of its five indexes. A budget row is ~100 bytes.

-- CreateTable
CREATE TABLE "consent_budget" (
    "consent_id" UUID NOT NULL,
    "fetch_count" INTEGER NOT NULL DEFAULT 0,
    "last_fetches" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "consent_budget_pkey" PRIMARY KEY ("consent_id")
);

-- AddForeignKey
ALTER TABLE "consent_budget" ADD CONSTRAINT "consent_budget_consent_id_fkey" FOREIGN KEY ("consent_id") REFERENCES "consent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every consent keeps what it has spent.
INSERT INTO "consent_budget" ("consent_id", "fetch_count", "last_fetches")
SELECT "id", "fetch_count", "last_fetches" FROM "consent";

-- AlterTable
ALTER TABLE "consent" DROP COLUMN "fetch_count",
DROP COLUMN "last_fetches";
