/**
 * @tessera/report — self-contained HTML reports (inline CSS and Chart.js, data as a JSON island, strict
 * CSP, no network) and Markdown for terminals, of a simulated federated run and of a sweep.
 *
 * - `renderSimulationHtml`, `renderSimulationMarkdown`: one run.
 * - `renderSweepHtml`, `renderSweepMarkdown`: the privacy–utility trade-off across runs.
 * - `validateSimulationReport`, `validateSweepReport`: the checks the renderers run first.
 * - `exampleSimulationReport`, `exampleSweepReport`: realistic inputs for demos and tests.
 * @module
 */
export type { Baseline, PartyView, RoundLine, SimulationReport, SiteInfo, SweepPoint, SweepReport } from './types.js';
export { renderSimulationHtml, SIMULATION_PLOTS } from './simulation.js';
export { renderSimulationMarkdown } from './simulation-markdown.js';
export { renderSweepHtml, SWEEP_PLOTS, epsilonAxis } from './sweep.js';
export { renderSweepMarkdown } from './sweep-markdown.js';
export { validateSimulationReport, validateSweepReport } from './validate.js';
export { escapeHtml, jsonForScript } from './escape.js';
export { exampleSimulationReport, exampleSweepReport } from './example.js';
export * from './audit.js';
