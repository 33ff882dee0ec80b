// Public surface of the reports: one UTC day's data, its TCA and PnL, and the daily report's renderings.
export * from './day-data.ts';
export * from './day-tape.ts';
export * from './day-tca.ts';
export * from './day-pnl.ts';
export * from './daily-report.ts';
export * from './document.ts';
export * from './charts.ts';
export * from './format.ts';
export * from './pdf.ts';
export * from './reasons.ts';
