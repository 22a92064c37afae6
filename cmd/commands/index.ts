import type { Command } from 'commander';
import { registerApprovalCommands } from './approvals.js';
import { registerAuditCommands } from './audit.js';
import { registerCheckConfig } from './check-config.js';
import { registerConnectCommands } from './connect.js';
import { registerLoginCommand } from './login.js';
import { registerExplain } from './explain.js';
import { registerReplayCommand } from './replay.js';
import { registerRevokeCommand } from './revoke.js';
import { registerRiskCommands } from './risk.js';
import { registerServe } from './serve.js';
import { registerSshKeyCommands } from './ssh-key.js';
import { registerTerminalCommands } from './terminal.js';
import { registerTokenCommand } from './token.js';
import { registerTotpCommands } from './totp.js';

/** Every command registers itself from its own file; one line each here. */
export function registerCommands(program: Command): void {
  // `airlock psql demo -c ...`: what follows a target belongs to the client program, not to airlock.
  program.enablePositionalOptions();
  registerServe(program);
  registerCheckConfig(program);
  registerExplain(program);
  registerApprovalCommands(program);
  registerLoginCommand(program);
  registerConnectCommands(program);
  registerTerminalCommands(program);
  registerSshKeyCommands(program);
  registerTokenCommand(program);
  registerTotpCommands(program);
  registerAuditCommands(program);
  registerRevokeCommand(program);
  registerRiskCommands(program);
  registerReplayCommand(program);
}
