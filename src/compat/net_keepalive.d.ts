// Declarations of `sockopts/net-keepalive` for `import`, written by hand as net-keepalive's own
// index.d.ts was (and shaped like it): its six functions, their parameter names and types, and a
// default export of the same six as one object. The CommonJS twin is net_keepalive.d.cts.

/// <reference types="node" />

import type { Socket } from "net";

export type NodeJSSocketWithFileDescriptor = Socket | { _handle: { _fd: number } };

export function setKeepAliveInterval(socket: NodeJSSocketWithFileDescriptor, intvl: number): boolean;

export function getKeepAliveInterval(socket: NodeJSSocketWithFileDescriptor): number;

export function setKeepAliveProbes(socket: NodeJSSocketWithFileDescriptor, cnt: number): boolean;

export function getKeepAliveProbes(socket: NodeJSSocketWithFileDescriptor): number;

export function setUserTimeout(socket: NodeJSSocketWithFileDescriptor, timeout: number): boolean;

export function getUserTimeout(socket: NodeJSSocketWithFileDescriptor): number;

export interface NetKeepAlive {
  setKeepAliveInterval: typeof setKeepAliveInterval;
  getKeepAliveInterval: typeof getKeepAliveInterval;
  setKeepAliveProbes: typeof setKeepAliveProbes;
  getKeepAliveProbes: typeof getKeepAliveProbes;
  setUserTimeout: typeof setUserTimeout;
  getUserTimeout: typeof getUserTimeout;
}

declare const NetKeepAlive: NetKeepAlive;
export default NetKeepAlive;
