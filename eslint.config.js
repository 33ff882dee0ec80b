// Lint: type-aware typescript-eslint rules (no floating promises in order flow) and the layer rule of
// ARCHITECTURE.md §3 (dependencies point down: model ← common ← engines ← adapters ← kernel ← apps).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

const ENGINES = ['marketdata', 'pricing', 'strategy', 'risk', 'oms', 'ledger', 'analytics', 'reconciler'];
const ADAPTERS = ['venues', 'bus', 'store', 'feeds'];
const APPS = ['cli', 'services', 'backtest', 'reports'];

export default tseslint.config(
  { ignores: ['bin/**', 'node_modules/**', 'dist/**', 'coverage/**', '.hf/**', 'frontend/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/include': ['src/**/*'],
      'boundaries/elements': [
        { type: 'model', pattern: 'src/model' },
        { type: 'common', pattern: 'src/common' },
        { type: 'engine', pattern: `src/(${ENGINES.join('|')})`, capture: ['engine'] },
        { type: 'adapter', pattern: `src/(${ADAPTERS.join('|')})`, capture: ['adapter'] },
        { type: 'kernel', pattern: 'src/kernel' },
        { type: 'app', pattern: `src/(${APPS.join('|')})` },
        { type: 'root', pattern: 'src/index.ts', mode: 'file' },
      ],
      'import/resolver': { typescript: true, node: true },
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/element-types': [
        'error',
        {
          default: 'disallow',
          message: 'layer rule (ARCHITECTURE.md §3): ${file.type} must not import ${dependency.type}',
          rules: [
            { from: 'model', allow: ['model'] },
            { from: 'common', allow: ['model', 'common'] },
            // An engine uses model and common, and its own folder; engines talk to each other over the bus only.
            // Interfaces another engine implements (e.g. the venue contract in oms/) may be imported as types.
            { from: 'engine', allow: ['model', 'common', ['engine', { engine: '${from.engine}' }]] },
            { from: 'engine', allow: ['engine'], importKind: 'type' },
            {
              from: 'adapter',
              allow: ['model', 'common', 'engine', ['adapter', { adapter: '${from.adapter}' }]],
            },
            { from: 'kernel', allow: ['model', 'common', 'engine', 'adapter', 'kernel'] },
            { from: 'app', allow: ['model', 'common', 'engine', 'adapter', 'kernel', 'app'] },
            { from: 'root', allow: ['model', 'common', 'engine', 'adapter', 'kernel', 'app'] },
          ],
        },
      ],
    },
  },
  {
    // Tests wire real parts together (an engine test runs on the real in-process bus): the layer rule is
    // for production code.
    files: [
      '**/*.test.ts',
      '**/*.contract.ts',
      '**/test-*.ts',
      '**/*.test-support.ts',
      'tests/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: {
      'boundaries/element-types': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
