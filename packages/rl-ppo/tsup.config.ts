import { defineConfig } from 'tsup';
import shared from '../../tsup.shared.ts';

// The evaluation worker is loaded by URL next to the bundle (siblingModule), so it is an entry of its own.
export default defineConfig({ ...(shared as object), entry: ['src/index.ts', 'src/evaluationWorker.ts'] });
