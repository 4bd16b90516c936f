/** Log mutations, the records of odd index (see mutation-log.ts). */
import { registerLogMutations } from './mutation-log.js';

registerLogMutations(1);
