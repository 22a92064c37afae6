export { createShellGateway, type ShellGateway, type ShellGatewayInit } from './ssh-gateway.js';
export { ShellRecordings, type ShellRecordingsInit } from './shell-recordings.js';
export type { RecordedSession } from './session-recording.js';
export { loadOrCreateHostKey, type HostKey } from './host-key.js';
export { createWebTerminal, type WebTerminal, type WebTerminalInit } from './web-terminal.js';
