// Declarations of `sockopts/net-keepalive` for `require()` and for TypeScript compiled to
// CommonJS: `module.exports` is a plain object of the six functions, as net-keepalive's was, so
// `import NetKeepAlive = require(…)`, `import * as NetKeepAlive from …` and (with
// esModuleInterop) `import NetKeepAlive from …` all type-check. Written by hand, like
// net_keepalive.d.ts.

/// <reference types="node" />

import type { Socket } from "net";

declare namespace NetKeepAlive {
  type NodeJSSocketWithFileDescriptor = Socket | { _handle: { _fd: number } };

  function setKeepAliveInterval(socket: NodeJSSocketWithFileDescriptor, intvl: number): boolean;

  function getKeepAliveInterval(socket: NodeJSSocketWithFileDescriptor): number;

  function setKeepAliveProbes(socket: NodeJSSocketWithFileDescriptor, cnt: number): boolean;

  function getKeepAliveProbes(socket: NodeJSSocketWithFileDescriptor): number;

  function setUserTimeout(socket: NodeJSSocketWithFileDescriptor, timeout: number): boolean;

  function getUserTimeout(socket: NodeJSSocketWithFileDescriptor): number;
}

export = NetKeepAlive;
