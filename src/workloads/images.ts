// There is no container runtime: an image decides which program a container
// runs. Well-known test images map to kemu's built-in programs; any other
// image runs the container's command as a program of the host.
//
// Containers do not see kemu's install directory nor /run (the API sockets
// live there). A built-in gets back exactly the host paths it needs,
// read-only: agnhost its binary; CoreDNS (kemu's resolver, a Node.js program)
// Node.js, kemu's code and the cluster's API socket. A user's image never does.
import { basename, dirname } from "node:path";
import { builtinPath, cliEntry, PACKAGE_ROOT, routerEntry } from "../paths.js";
import type { Container } from "../api/types.js";

export interface ResolvedProgram {
  file: string;
  args: string[];
  /** "builtin" for kemu's own programs, "host" for a host program */
  kind: "builtin" | "host";
  /** Host paths the program needs to see read-only at the same place (none for host programs). */
  readOnlyPaths: string[];
}

/** What a built-in may need to know about its cluster. */
export interface ProgramContext {
  apiSocket?: string;
}

export class ImageError extends Error {
  constructor(
    readonly reason: "CreateContainerConfigError" | "InvalidImageName",
    message: string,
  ) {
    super(message);
  }
}

const AGNHOST = /(^|\/)agnhost(:|@|$)/;
const COREDNS = /(^|\/)coredns(:|@|$)/;
const PAUSE = /(^|\/)pause(:|@|$)/;
const INGRESS_ROUTER = /(^|\/)kemu-ingress-router(:|@|$)/;

export function isAgnhost(image: string): boolean {
  return AGNHOST.test(image);
}

/**
 * command/args as Kubernetes combines them: command replaces the image's
 * entrypoint, args its default arguments. For agnhost the entrypoint is the
 * built-in itself, so a command of "/agnhost" (or "agnhost") is the same program.
 */
export function resolveProgram(container: Container, expand: (s: string) => string = (s) => s, context: ProgramContext = {}): ResolvedProgram {
  const image = container.image ?? "";
  const command = (container.command ?? []).map(expand);
  const args = (container.args ?? []).map(expand);
  if (!image) throw new ImageError("InvalidImageName", `container "${container.name}": image is empty`);

  const agnhost = builtinPath("agnhost");
  const host = (): ResolvedProgram => ({ file: command[0]!, args: [...command.slice(1), ...args], kind: "host", readOnlyPaths: [] });
  if (isAgnhost(image)) {
    if (command.length === 0) return { file: agnhost, args, kind: "builtin", readOnlyPaths: [agnhost] };
    if (/(^|\/)agnhost$/.test(command[0]!)) return { file: agnhost, args: [...command.slice(1), ...args], kind: "builtin", readOnlyPaths: [agnhost] };
    return host();
  }
  // CoreDNS images run kemu's resolver, kemu's router image its Ingress router: both read the cluster through the API socket.
  if (COREDNS.test(image) && command.length === 0) return kemuProgram([cliEntry(), "dns"], args, context);
  if (INGRESS_ROUTER.test(image) && command.length === 0) return kemuProgram([routerEntry()], args, context);
  if (PAUSE.test(image) && command.length === 0) return { file: agnhost, args: ["pause"], kind: "builtin", readOnlyPaths: [agnhost] };
  if (command.length === 0) {
    throw new ImageError(
      "CreateContainerConfigError",
      `image "${image}" has no built-in program in kemu and the container sets no command: set command (and args) to the host program to run`,
    );
  }
  return host();
}

/** One of kemu's own Node.js programs (`kemu <subcommand>`, or an entry of its own), given the API socket unless its args name one. */
function kemuProgram(entry: string[], args: string[], context: ProgramContext): ResolvedProgram {
  const socketArg = args.indexOf("--api-socket");
  const socket = socketArg >= 0 ? args[socketArg + 1] : context.apiSocket;
  const extra = socketArg >= 0 || !context.apiSocket ? [] : ["--api-socket", context.apiSocket];
  return {
    file: process.execPath,
    args: [...entry, ...extra, ...args],
    kind: "builtin",
    readOnlyPaths: [process.execPath, ...kemuCodePaths(), ...(socket ? [socket] : [])],
  };
}

/** kemu's install directory, and the node_modules it is installed in (its dependencies may be hoisted there). */
export function kemuCodePaths(root: string = PACKAGE_ROOT): string[] {
  let up = dirname(root);
  if (basename(up).startsWith("@")) up = dirname(up);
  return basename(up) === "node_modules" ? [root, up] : [root];
}
