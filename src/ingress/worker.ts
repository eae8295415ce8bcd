// A router worker process's entry (forked by the router's primary,
// src/ingress/main.ts): only the router and its controller are loaded, not
// the whole command line.
import { parseRouterFlags, serve } from "./main.js";

const cmd = parseRouterFlags(process.argv.slice(2));
if (cmd !== "help") await serve(cmd);
