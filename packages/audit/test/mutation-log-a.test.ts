/** Log mutations, the records of even index (see mutation-log.ts). */
import { registerLogMutations } from './mutation-log.js';

registerLogMutations(0);
