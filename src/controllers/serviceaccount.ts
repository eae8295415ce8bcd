// ServiceAccounts controller, as kube-controller-manager's
// (pkg/controller/serviceaccount): every active namespace has a ServiceAccount
// named "default", created with the namespace and again whenever it is
// deleted. Tokens are not kemu's business: no token controller, no secrets.
import { Controller, R } from "./controller.js";
import { resourceByKind } from "../api/resources.js";
import { ApiError } from "../api/errors.js";

export const DEFAULT_SERVICE_ACCOUNT = "default";
const SERVICE_ACCOUNTS = resourceByKind("ServiceAccount")!;

export class ServiceAccountsController extends Controller {
  constructor(api: ConstructorParameters<typeof Controller>[1]) {
    super("serviceaccount-controller", api);
  }

  start(): void {
    this.watch(R.namespaces, (e) => (e.type === "ADDED" || e.type === "MODIFIED" ? [e.object.metadata.name] : []));
    this.watch(SERVICE_ACCOUNTS, (e) =>
      e.type === "DELETED" && e.object.metadata.name === DEFAULT_SERVICE_ACCOUNT && e.object.metadata.namespace ? [e.object.metadata.namespace] : [],
    );
    this.enqueueAll(R.namespaces);
  }

  protected sync(namespace: string): void {
    const ns = this.api.tryGet(R.namespaces, undefined, namespace);
    // A terminating namespace is left alone (its ServiceAccounts are being deleted).
    if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase !== "Active") return;
    if (this.api.tryGet(SERVICE_ACCOUNTS, namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      this.api.create(SERVICE_ACCOUNTS, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } }, namespace);
    } catch (err) {
      // Someone made it first, or the namespace began terminating in between.
      if (err instanceof ApiError && (err.reason === "AlreadyExists" || err.reason === "Forbidden")) return;
      throw err;
    }
  }
}
