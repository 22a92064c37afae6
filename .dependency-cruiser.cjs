/**
 * The dependency rules of DESIGN.md ("Dependency rules"), checked in
 * `npm test` (test/unit/deps/layers.test.ts): a new import that breaks one
 * fails CI. Paths are relative to the repository root.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules must not import each other in a cycle.',
      from: { path: '^src' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Folders must not depend on each other in a cycle (store <-> approvals, policy <-> gate...).',
      scope: 'folder',
      from: { path: '^src' },
      to: { circular: true },
    },
    {
      name: 'model-is-a-leaf',
      severity: 'error',
      comment: 'The shared vocabulary (src/model) imports nothing of the project, so every layer may use it.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'protocols-stay-apart',
      severity: 'error',
      comment: 'A protocol adapter never imports another protocol.',
      from: { path: '^src/protocols/([^/]+)/' },
      to: { path: '^src/protocols/', pathNot: '^src/protocols/$1/' },
    },
    {
      name: 'protocols-ask-the-gate',
      severity: 'error',
      comment: 'Protocols reach approvals, the store and channels only through the Gate.',
      from: { path: '^src/protocols/' },
      to: { path: '^src/(approvals|store)/' },
    },
    {
      name: 'gate-knows-no-protocol',
      severity: 'error',
      from: { path: '^src/(gate|policy|approvals|store|audit|risk|identity)/' },
      to: { path: '^src/protocols/' },
    },
    {
      name: 'classifiers-describe-never-decide',
      severity: 'error',
      comment: 'Classifiers describe commands; they do not reach protocols, the Gate, approvals or the store.',
      from: { path: '^src/classifiers/' },
      to: { path: '^src/(protocols|gate|approvals|store|control)/' },
    },
    {
      name: 'channels-know-no-protocol',
      severity: 'error',
      from: { path: '^src/approvals/channels/' },
      to: { path: '^src/(protocols|gate|control)/' },
    },
    {
      name: 'only-the-composition-root-knows-everything',
      severity: 'error',
      comment: 'src/server.ts composes the parts; no part imports it.',
      from: { path: '^src/', pathNot: '^src/server\\.ts$' },
      to: { path: '^src/server\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
