export { createShellGateway, type ShellGateway, type ShellGatewayInit } from './ssh-gateway.js';
export { loadOrCreateHostKey, type HostKey } from './host-key.js';
