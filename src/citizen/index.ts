/** The citizen module's public surface (pages and /me): what the app shell mounts. */
export { CitizenModule } from './citizen.module.js';
export { refuseMalformedPagePath } from './http.js';
export { errorPage } from './pages/error.page.js';
