// Public surface of the reconciler.
export * from './engine.ts';
