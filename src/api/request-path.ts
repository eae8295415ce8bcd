// Which resource a REST path names: /api/v1/namespaces/NS/pods/NAME/log →
// the Pod resource, namespace, name and subresource. Shared by the server's
// router and its request metrics. Pure.
import { resourceByPlural, type ResourceInfo } from "./resources.js";

export interface Route {
  resource: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function parsePath(pathname: string): Route | undefined {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts[1] === "v1") {
    group = "";
    version = "v1";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;

  let namespace: string | undefined;
  // namespaces/{ns}/{plural}/… is inside a namespace; namespaces/{name}/status is the Namespace's own subresource.
  if (rest[0] === "namespaces" && rest.length >= 3 && (resourceByPlural(group, rest[2]!, version) || rest.length > 3)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = resourceByPlural(group, rest[0] ?? "", version);
  if (!resource) return undefined;
  if (namespace !== undefined && !resource.namespaced) return undefined;
  return { resource, namespace, name: rest[1], subresource: rest[2] };
}
