export { evaluateChecks, allPassed, type CheckResult } from './evaluate.js';
export { normalizeEvidence, truncateLine, tailLines, textOf, MAX_EVIDENCE_LINES, MAX_EVIDENCE_WIDTH } from './evidence.js';
