/** The database module: PrismaService (for repositories only: the lint refuses it elsewhere), the migrator. */
export { DatabaseModule } from './database.module.js';
export { DatabaseProbe } from './database-probe.js';
export { MigrationError } from './migrator.js';
export { PrismaService, type HotSession } from './prisma.service.js';
