// Preloaded into the reference MCP servers (node --require) by conduit's tests.
//
// server-everything's SSE and streamable-HTTP transports call app.listen(PORT)
// with no host, which binds every interface; the tests must not expose a
// server to the network. This forces any listen() without an explicit host
// onto 127.0.0.1 (or MCP_BIND_HOST), leaving the servers' code untouched.
"use strict";
const net = require("node:net");
const host = process.env.MCP_BIND_HOST || "127.0.0.1";
const originalListen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args.length > 0 && (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0])))) {
    if (typeof args[1] !== "string") {
      args.splice(1, 0, host);
    }
  } else if (args.length > 0 && args[0] !== null && typeof args[0] === "object" && !("path" in args[0]) && !args[0].host) {
    args[0] = { ...args[0], host };
  }
  return originalListen.apply(this, args);
};
