// kemu as a library: what the CLI and test suites use.
export { Cluster, KemuError, StartupError, isRoot, resolveClusterName, runningClusters, type StartOptions, type StartupFailure, type ExecResult, type ExecOptions } from "./cluster.js";
export { ApiClient } from "./api/client.js";
export { ApiError, FieldError } from "./api/errors.js";
export { ApplyError } from "./api/apply.js";
export { RESOURCES, resourceByKind, resourceByName } from "./api/resources.js";
export { Informer } from "./api/informer.js";
export type * from "./api/types.js";
export type { ProbeOptions } from "./probe/options.js";
export type { ProbeResult } from "./probe/runner.js";
export type { ProbeMatrix, ProbeCell, ProbeDetail, ProbeProtocol, PortProtocol, MatrixEnd } from "./probe/model.js";
export type { Expectation, ExpectedCell, Comparison, Difference } from "./probe/expect.js";
export type { Explanation } from "./probe/explain.js";
