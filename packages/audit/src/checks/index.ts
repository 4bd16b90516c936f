/**
 * The protocol checks of `tessera audit verify`, run on a transcript whose integrity passed.
 * @module
 */
export { CHECK_IDS, CheckCodes, notCheckableResult, type CheckCode, type CheckFailure, type CheckId, type CheckResult, type CheckStatus, type NotCheckable } from './types.js';
export { buildModel, type AuditModel, type RecordedMessage, type RecordedNote, type RoundView } from './model.js';
export { checkStageOrder } from './stage-order.js';
export { checkBothShares } from './both-shares.js';
export { announcedSurvivors, checkSurvivorSet } from './survivor-set.js';
export { checkSum, recomputeRoundSum, sumSha256 } from './sum.js';
export { checkUpdate } from './update.js';
export { EPSILON_TOLERANCE, checkPrivacy, type PrivacyFigures } from './privacy.js';
