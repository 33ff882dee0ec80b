// Public surface of recorded-data files: streaming readers for bar and tick CSV files.
export * from './data-file.ts';
