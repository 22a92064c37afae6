import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configWarnings } from '../../../src/config/config-warnings.js';
import { parseConfig } from '../../../src/config/load.js';

const config = (yaml: string) => parseConfig(yaml, 'test.yaml', {});

describe('check-config warnings', () => {
  it('warns when a target logs in upstream as postgres, by default or through a role', () => {
    const implicit = configWarnings(config('targets: [ { name: app, protocol: postgres } ]'));
    assert.equal(implicit.length, 1);
    assert.match(implicit[0] ?? '', /^targets\[0\] \(app\): logs in upstream as "postgres"/);
    const viaRole = configWarnings(
      config('targets: [ { name: app, protocol: postgres, upstream: { user: app_rw }, roles: [ { name: admin, user: postgres, groups: [dba] } ] } ]'),
    );
    assert.equal(viaRole.length, 1);
  });

  it('is quiet for a dedicated role and for the embedded demo database', () => {
    assert.deepEqual(configWarnings(config('targets: [ { name: app, protocol: postgres, upstream: { user: airlock_proxy } } ]')), []);
    assert.deepEqual(configWarnings(config('targets: [ { name: demo, protocol: postgres, embedded: true } ]')), []);
  });
});
