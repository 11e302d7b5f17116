import { defineConfig } from 'tsup';
import shared from '../../tsup.shared.ts';

// The CLI: entry points instead of a library index.
export default defineConfig({ ...(shared as object), entry: ['src/main.ts', 'src/cli.ts'] });
