/**
 * An Airlock config with the control API and the SSH gateway on free ports
 * and one bash shell target, `box`, started in `cwd`: low and medium lines
 * run, high and critical ones wait for one approver. `control` replaces the
 * control section's options (as YAML flow mapping entries).
 */
export function shellBoxConfig(cwd: string, control = ''): string {
  return `
control: { listen: "127.0.0.1:0"${control ? `, ${control}` : ''} }
shell: { enabled: true, listen: "127.0.0.1:0" }
targets:
  - name: box
    protocol: shell
    command: [/bin/bash, --noprofile, --norc]
    cwd: ${JSON.stringify(cwd)}
policy:
  defaults:
    low: allow
    medium: allow
    high: { approval: { approvers: approvers, count: 1 } }
    critical: { approval: { approvers: approvers, count: 1 } }
`;
}
