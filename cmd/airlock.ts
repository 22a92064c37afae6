#!/usr/bin/env node
// The entry point does one thing before loading anything else: on Node 22.1
// and later, V8 keeps the code it compiles between runs (in the OS temporary
// directory), which cuts start-up by about 40% (bench/startup.ts). On Node 20,
// on a read-only file system, or with NODE_DISABLE_COMPILE_CACHE set, this
// does nothing.
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./cli.js');
