// Builds the dashboard into frontend/dist when it is missing or older than its sources (run before `npm start`).
// Without Vite (a production install without dev dependencies) it says so and leaves dist/ as it is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'index.html');

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const sources = Math.max(
  newest(join(root, 'src')),
  newest(join(root, 'index.html')),
  newest(join(root, 'vite.config.ts')),
  newest(join(root, 'package.json')),
);
const stale = !existsSync(built) || statSync(built).mtimeMs < sources;
if (!stale) {
  console.log('dashboard: frontend/dist is up to date');
} else {
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn(
      'dashboard: vite is not installed, frontend/dist not rebuilt (npm install, then npm run build:frontend)',
    );
  }
  if (vite) {
    console.log(
      `dashboard: ${existsSync(built) ? 'sources changed' : 'not built yet'}, building frontend/dist…`,
    );
    await vite.build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
    console.log('dashboard: built frontend/dist');
  }
}
