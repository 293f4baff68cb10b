// Build the dashboard into dist/: one ES bundle (app.js) and one stylesheet
// (app.css) made by esbuild from src/, plus the static files in public/.
// Usage: node build.mjs [--watch]
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(here, 'public'), dist, { recursive: true });

const options = {
  absWorkingDir: here,
  entryPoints: { app: 'src/main.js', style: 'src/app.css' },
  bundle: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: dist,
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  loader: { '.png': 'file', '.svg': 'file' },
};

if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('web: watching src/ (dist/ rebuilt on change)');
} else {
  await esbuild.build(options);
  console.log('web: built ' + dist);
}
