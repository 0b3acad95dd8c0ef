#!/usr/bin/env node
// Entry for `rollcall` / `npx rollcall`: runs the TypeScript sources through tsx's loader,
// so there is no build step between `npm install` and `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
