/* global module */
/**
 * The import-cycle check (`npm run cycles`, run in CI): no cycle between files, none between
 * folders, and the ground floor (errors, context, version, text helpers, time, fs) imports nothing
 * above it. A new cycle fails the build.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycle',
      comment: 'files must not import each other in a cycle: move the shared piece down',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      comment: 'folders must not import each other in a cycle: move the shared piece down',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'ground-floor',
      comment:
        'text/ helpers, time/, errors, context and version are the ground floor: they import nothing above it',
      severity: 'error',
      from: { path: '^src/(text/|time/|fs/|errors\\.ts|context\\.ts|version\\.ts)' },
      to: { path: '^src/', pathNot: '^src/(text/|time/|fs/|errors\\.ts|context\\.ts|version\\.ts)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$|/testing/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
