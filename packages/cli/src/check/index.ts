// The linearizability checker's public surface.

export type { History, HistoryOp, Op, Result } from './history.ts';
export { checkHistory, CHECK_MAX_STATES_DEFAULT, CHECK_TIME_BUDGET_MS_DEFAULT } from './check.ts';
export type { CheckOptions, CheckResult, CheckStats, ComponentViolation, UndecidedComponent } from './check.ts';
export type { RevisionRule, RevisionViolation } from './revisions.ts';
export { InvalidHistoryError } from './validate.ts';
export { renderHtml, writeHtmlReport } from './report-html.ts';
export type { HtmlReportOptions } from './report-html.ts';
