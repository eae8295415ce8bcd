// There is no container runtime: an image decides which program a container
// runs. Well-known test images map to kemu's built-in programs; any other
// image runs the container's command as a program of the host.
import { builtinPath, cliEntry } from "../paths.js";
import type { Container } from "../api/types.js";

export interface ResolvedProgram {
  file: string;
  args: string[];
  /** "builtin" for kemu's own programs, "host" for a host program */
  kind: "builtin" | "host";
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

  if (isAgnhost(image)) {
    const agnhost = builtinPath("agnhost");
    if (command.length === 0) return { file: agnhost, args, kind: "builtin" };
    if (/(^|\/)agnhost$/.test(command[0]!)) return { file: agnhost, args: [...command.slice(1), ...args], kind: "builtin" };
    return { file: command[0]!, args: [...command.slice(1), ...args], kind: "host" };
  }
  // CoreDNS images run kemu's resolver; it reads the cluster through the API socket.
  if (COREDNS.test(image) && command.length === 0) {
    const socket = args.includes("--api-socket") || !context.apiSocket ? [] : ["--api-socket", context.apiSocket];
    return { file: process.execPath, args: [cliEntry(), "dns", ...socket, ...args], kind: "builtin" };
  }
  if (PAUSE.test(image) && command.length === 0) return { file: builtinPath("agnhost"), args: ["pause"], kind: "builtin" };
  if (command.length === 0) {
    throw new ImageError(
      "CreateContainerConfigError",
      `image "${image}" has no built-in program in kemu and the container sets no command: set command (and args) to the host program to run`,
    );
  }
  return { file: command[0]!, args: [...command.slice(1), ...args], kind: "host" };
}
