import { defineConfig } from 'prisma/config';

// The Prisma CLI is used here only for `prisma generate` (see package.json). Its native
// schema engine cannot be downloaded on our machines; migrations are written with
// scripts/migration-new.ts and applied by src/database/migrator.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/passerelle' },
});
