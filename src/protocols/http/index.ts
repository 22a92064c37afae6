export { createHttpProxy, type HttpProxy, type HttpProxyOptions } from './http-proxy.js';
