// The API server's semantics over the store: defaults, validation, namespace
// checks, generateName, optimistic concurrency, graceful deletion and
// finalizers. Both the REST front end and in-process controllers call this.
import { Store, type ObjectFilter } from "./store.js";
import type { ResourceInfo } from "./resources.js";
import { acceptedApiVersions, apiVersionOf, resourceByKind, RESOURCES } from "./resources.js";
import { ApiError, fieldErrors, type FieldError } from "./errors.js";
import type { KubeObject, Stored, StoredMeta, WatchEvent } from "./types.js";
import { newUid, randomSuffix, timestamp, deepCopy, withoutNulls } from "./meta.js";
import { APPLY_PATCH, MERGE_PATCH, checkPatchType, checkedConfiguration, patchObject, type PatchType } from "./patch/index.js";
import { applyDefaults } from "./defaults.js";
import { validateObject } from "./validation/index.js";
import { typeCheck, unknownFields } from "./typecheck.js";
import { dropFields } from "./unknown-fields.js";
import { applyManagedFields, managedFieldsTime, updateManagedFields, type Writer } from "./managedfields/managed-fields.js";
import { patchSchemaOf } from "./patch/strategy.js";
import { mergeStringData } from "./secret-data.js";
import { admitIngressClass } from "./default-ingress-class.js";
import { viewOf, type ResourceView } from "./resource-views.js";
import { DEFAULT_MAX_PODS, MAX_OBJECT_BYTES } from "./limits.js";
import { parseLabelSelector, matchesRequirements, parseFieldSelector, matchesFieldSelector } from "./selectors.js";
import { hasScaleSubresource, readScale, scaleOf, SCALE_API_VERSION, type Scale } from "./subresources.js";
import {
  decodeContinue,
  encodeContinue,
  ExpiredContinueError,
  parseResourceVersion,
  tooLargeResourceVersion,
  type ContinueToken,
  type ListRequestOptions,
} from "./list-options.js";

export interface ApiServerOptions {
  /** Pods the cluster may hold (a host-protection limit; benches lift it). Default DEFAULT_MAX_PODS. */
  maxPods?: number;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A list as the REST API reads one: at a resourceVersion, a page at a time. */
export type PagedListOptions = ListOptions & ListRequestOptions;

export interface ListResult {
  items: Stored<KubeObject>[];
  resourceVersion: string;
  /** set when there is more: the token for the next page */
  continue?: string;
  /** how many objects the pages after this one hold (only without selectors, as upstream) */
  remainingItemCount?: number;
}

export interface WatchFromOptions extends ListOptions {
  resourceVersion?: string;
  /** the current objects first (see Store.watch) */
  initialEvents?: boolean;
}

/** What to do with fields the kind's schema does not have (the fieldValidation query parameter). */
export type FieldValidation = "Ignore" | "Warn" | "Strict";

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * Unknown fields: dropped (Ignore), dropped with a warning (Warn), or a 400
   * (Strict). Unset (kemu's in-process callers) keeps the object as given.
   */
  fieldValidation?: FieldValidation;
  /** Where warnings for the client go (the REST server sends them as Warning headers). */
  warnings?: string[];
  /** Keys the request body repeated (duplicate-fields.ts), reported as field validation says. */
  duplicateFields?: string[];
  /**
   * Who makes the change, for metadata.managedFields (the fieldManager query
   * parameter, or the REST server's default from the User-Agent). Unset
   * (kemu's in-process callers): managedFields are kept as they are.
   */
  fieldManager?: string;
  /** The manager to record when fieldManager is unset (kept apart: server-side apply requires an explicit one). */
  defaultFieldManager?: string;
  /** The subresource managedFields name ("scale"); status writes are named "status" by themselves. */
  managedSubresource?: string;
  /** The object comes with its managedFields already worked out (server-side apply). */
  managedFieldsSet?: boolean;
  /** A create made by server-side apply: the manager owns what this configuration sets. */
  applyConfiguration?: Record<string, unknown>;
  /** "status" writes only .status; otherwise .status is kept from the stored object */
  subresource?: "status";
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply's force (take fields from other managers); refused on other patch types. */
  force?: boolean;
}

export interface DeleteOptions {
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
}

/**
 * Hooks run inside create/update/delete, after validation and before the
 * write: allocators (ClusterIP, NodePort) plug in here. Throwing aborts the write.
 */
export interface Admission {
  admitCreate?(resource: ResourceInfo, obj: Stored<KubeObject>, dryRun: boolean): FieldError[] | void;
  admitUpdate?(resource: ResourceInfo, obj: Stored<KubeObject>, old: Stored<KubeObject>, dryRun: boolean): FieldError[] | void;
  released?(resource: ResourceInfo, obj: Stored<KubeObject>): void;
  /** Remembers what the admission holds; calling the result puts it back (a transaction that failed). */
  checkpoint?(): () => void;
}

/**
 * Namespaces that may not be deleted: upstream's NamespaceLifecycle admission
 * protects default, kube-system and kube-public; kemu also protects
 * kube-node-lease, where node heartbeats live (upstream would recreate it).
 */
export const IMMORTAL_NAMESPACES: ReadonlySet<string> = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

const NAMESPACES = RESOURCES.find((r) => r.kind === "Namespace")!;
const GENERATE_NAME_ATTEMPTS = 8;
const PODS = RESOURCES.find((r) => r.kind === "Pod")!;
const INGRESSES = RESOURCES.find((r) => r.kind === "Ingress")!;
const INGRESS_CLASSES = RESOURCES.find((r) => r.kind === "IngressClass")!;

export class ApiServer {
  readonly store = new Store();
  private readonly admissions: Admission[] = [];
  readonly maxPods: number;

  constructor(options: ApiServerOptions = {}) {
    this.maxPods = options.maxPods ?? DEFAULT_MAX_PODS;
  }

  addAdmission(admission: Admission): void {
    this.admissions.push(admission);
  }

  get(resource: ResourceInfo, namespace: string | undefined, name: string): Stored<KubeObject> {
    const obj = this.tryGet(resource, namespace, name);
    if (!obj) throw ApiError.notFound(qualifiedPlural(resource), name);
    return obj;
  }

  tryGet(resource: ResourceInfo, namespace: string | undefined, name: string): Stored<KubeObject> | undefined {
    const view = viewOf(resource);
    if (view) {
      const stored = this.store.get(view.storage, namespace, name);
      return stored && view.toView(stored);
    }
    return this.store.get(resource, namespace, name);
  }

  /**
   * Lists as the API concepts doc says: the current objects, or those at an
   * older revision (resourceVersionMatch=Exact, or a continue token's), a
   * page of `limit` at a time with a continue token for the rest.
   */
  list(resource: ResourceInfo, options: PagedListOptions = {}): ListResult {
    const view = viewOf(resource);
    if (view) {
      const fieldSelector = options.fieldSelector && view.storageFieldSelector(options.fieldSelector);
      const result = this.list(view.storage, { ...options, fieldSelector });
      return { ...result, items: result.items.map((o) => view.toView(o)) };
    }
    const filter = selectorFilter(options);
    const current = this.store.currentRevision;
    let revision = current;
    let after: ContinueToken | undefined;
    if (options.continue) {
      // Upstream's etcd3 store: the token says where and when; a resourceVersion besides it is refused.
      if (options.resourceVersion && options.resourceVersion !== "0") throw new ApiError("BadRequest", "specifying resource version is not allowed when using continue");
      after = decodeContinue(options.continue);
      if (after.rv > current) throw tooLargeResourceVersion(after.rv, current);
      if (after.rv >= 0) revision = after.rv;
    } else if (options.resourceVersion && options.resourceVersion !== "0") {
      const wanted = parseResourceVersion(options.resourceVersion);
      // kemu's store is never behind, so there is nothing to wait for (upstream waits up to 3 s first).
      if (wanted > current) throw tooLargeResourceVersion(wanted, current);
      if (options.resourceVersionMatch === "Exact") revision = wanted;
    }
    let items: Stored<KubeObject>[];
    try {
      items = revision === current ? this.store.list(resource, options.namespace, filter) : this.store.listAt(resource, revision, options.namespace, filter);
    } catch (err) {
      if (after && err instanceof ApiError && err.reason === "Expired") throw new ExpiredContinueError(encodeContinue({ ...after, rv: -1 }));
      throw err;
    }
    if (after) {
      const start = after;
      const first = items.findIndex((o) => compareKey(o.metadata.namespace ?? "", o.metadata.name, start.namespace, start.name) > 0);
      items = first < 0 ? [] : items.slice(first);
    }
    const result: ListResult = { items, resourceVersion: String(revision) };
    if (options.limit !== undefined && items.length > options.limit) {
      const page = items.slice(0, options.limit);
      const last = page[page.length - 1]!;
      result.items = page;
      result.continue = encodeContinue({ rv: revision, namespace: last.metadata.namespace ?? "", name: last.metadata.name });
      if (!filter) result.remainingItemCount = items.length - page.length;
    }
    return result;
  }

  /**
   * Subscribes to changes: from a resourceVersion (410 Expired when it is no
   * longer kept, 504 when it is ahead of the store), or with the current objects first.
   */
  watch(resource: ResourceInfo, options: WatchFromOptions, send: (e: WatchEvent) => void): () => void {
    const view = viewOf(resource);
    if (view) {
      const fieldSelector = options.fieldSelector && view.storageFieldSelector(options.fieldSelector);
      return this.watch(view.storage, { ...options, fieldSelector }, (e) => send(e.type === "ERROR" || e.type === "BOOKMARK" ? e : { ...e, object: view.toView(e.object) }));
    }
    if (options.resourceVersion && options.resourceVersion !== "0") {
      const wanted = parseResourceVersion(options.resourceVersion);
      if (wanted > this.store.currentRevision) throw tooLargeResourceVersion(wanted, this.store.currentRevision);
    }
    return this.store.watch(
      resource,
      { namespace: options.namespace, filter: selectorFilter(options), resourceVersion: options.resourceVersion, initialEvents: options.initialEvents },
      send,
    );
  }

  create(resource: ResourceInfo, input: KubeObject, namespace?: string, options: WriteOptions = {}): Stored<KubeObject> {
    const view = viewOf(resource);
    if (view) {
      const stored = this.fromView(resource, view, input, namespace, options);
      const errors = view.validateCreate(stored);
      if (errors.length) throw ApiError.invalid(resource.kind, resource.group, displayName(stored), errors);
      // kemu's managedFields are in the stored names whichever version wrote (the behaviours doc).
      const applyConfiguration = options.applyConfiguration && (view.toStorage(options.applyConfiguration as unknown as KubeObject) as unknown as Record<string, unknown>);
      return view.toView(this.create(view.storage, stored, namespace, { ...options, applyConfiguration }));
    }
    const obj = this.normalise(resource, input, namespace, options);
    const meta = obj.metadata!;
    if (!meta.name && meta.generateName) {
      // As upstream's RetryGenerateName: a generated name that is taken is drawn again (8 tries in all).
      for (let attempt = 0; attempt < GENERATE_NAME_ATTEMPTS; attempt++) {
        meta.name = `${meta.generateName}${randomSuffix()}`;
        if (!this.store.get(resource, meta.namespace, meta.name)) break;
      }
    }
    const defaulted = applyDefaults(obj);
    // A mutating admission upstream; it runs before validation there too.
    if (resource === INGRESSES) admitIngressClass(defaulted, this.store.list(INGRESS_CLASSES));
    this.check(resource, defaulted);
    if (resource.namespaced) this.requireActiveNamespace(meta.namespace!);
    const name = defaulted.metadata!.name!;
    if (this.store.get(resource, defaulted.metadata!.namespace, name)) throw ApiError.alreadyExists(qualifiedPlural(resource), name);
    if (resource === PODS && this.store.count(PODS) >= this.maxPods) {
      throw ApiError.forbidden(
        qualifiedPlural(resource),
        name,
        `the cluster already holds ${this.maxPods} pods, kemu's limit (every pod runs as processes on this host)`,
      );
    }

    const stored = defaulted as Stored<KubeObject>;
    stored.metadata = {
      ...defaulted.metadata,
      name,
      uid: newUid(),
      resourceVersion: "",
      creationTimestamp: timestamp(),
      ...(hasGeneration(resource) ? { generation: 1 } : {}),
    } as StoredMeta;
    delete stored.metadata.deletionTimestamp;
    this.runAdmission(resource, (a) => a.admitCreate?.(resource, stored, options.dryRun === true), stored);
    delete stored.metadata.managedFields;
    // The size limit is checked before managedFields are added (so the object's own size is what an error reports).
    checkSize(resource, stored);
    const writer = writerOf(resource, options, "");
    const fields = stored as unknown as Record<string, unknown>;
    if (writer && options.applyConfiguration) applyManagedFields({}, options.applyConfiguration, fields, patchSchemaOf(resource.kind), writer, true);
    else if (writer) updateManagedFields(undefined, fields, patchSchemaOf(resource.kind), writer);
    if (options.dryRun) return stored;
    return deepCopy(this.store.put(resource, stored, "ADDED"));
  }

  update(resource: ResourceInfo, input: KubeObject, namespace?: string, options: WriteOptions = {}): Stored<KubeObject> {
    const view = viewOf(resource);
    if (view) {
      const stored = this.fromView(resource, view, input, namespace, options);
      const old = this.tryGet(view.storage, stored.metadata?.namespace, displayName(stored));
      const errors = old ? view.validateUpdate(stored, old) : [];
      if (errors.length) throw ApiError.invalid(resource.kind, resource.group, displayName(stored), errors);
      return view.toView(this.update(view.storage, stored, namespace, options));
    }
    const obj = this.normalise(resource, input, namespace, options);
    const name = obj.metadata!.name;
    if (!name) throw new ApiError("BadRequest", "metadata.name: Required value: name is required for update");
    const old = this.get(resource, obj.metadata!.namespace, name);
    const wanted = obj.metadata!.resourceVersion;
    if (wanted && wanted !== old.metadata.resourceVersion) {
      throw ApiError.conflict(qualifiedPlural(resource), name, "the object has been modified; please apply your changes to the latest version and try again");
    }

    let next: Stored<KubeObject>;
    if (options.subresource === "status") {
      next = { ...deepCopy(old), status: obj.status };
      const writer = options.managedFieldsSet ? undefined : writerOf(resource, options, "status");
      if (options.managedFieldsSet) next.metadata.managedFields = obj.metadata?.managedFields;
      if (writer) updateManagedFields(old as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>, patchSchemaOf(resource.kind), writer);
    } else {
      const defaulted = applyDefaults(obj);
      this.check(resource, defaulted, old);
      next = {
        ...defaulted,
        status: deepCopy(old.status),
        metadata: {
          ...defaulted.metadata,
          name,
          namespace: old.metadata.namespace,
          uid: old.metadata.uid,
          resourceVersion: old.metadata.resourceVersion,
          creationTimestamp: old.metadata.creationTimestamp,
          ...(old.metadata.deletionTimestamp
            ? { deletionTimestamp: old.metadata.deletionTimestamp, deletionGracePeriodSeconds: old.metadata.deletionGracePeriodSeconds }
            : {}),
        },
      } as Stored<KubeObject>;
      if (old.status === undefined) delete next.status;
      // managedFields sent with the object replace the stored ones (how kubectl moves a client-side applier's
      // fields to server-side apply); sent empty or not at all, the stored ones stay — upstream's field manager.
      const sent = next.metadata.managedFields;
      const scaled = options.managedSubresource !== undefined;
      if (!options.managedFieldsSet && (!Array.isArray(sent) || sent.length === 0 || scaled)) {
        if (old.metadata.managedFields) next.metadata.managedFields = deepCopy(old.metadata.managedFields);
        else delete next.metadata.managedFields;
      }
      const writer = options.managedFieldsSet ? undefined : writerOf(resource, options, options.managedSubresource ?? "");
      if (writer) updateManagedFields(old as unknown as Record<string, unknown>, next as unknown as Record<string, unknown>, patchSchemaOf(resource.kind), writer);
      if (hasGeneration(resource)) {
        const changed = JSON.stringify(next.spec) !== JSON.stringify(old.spec);
        next.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
      }
      this.runAdmission(resource, (a) => a.admitUpdate?.(resource, next, old, options.dryRun === true), next);
    }
    checkSize(resource, next);
    if (options.dryRun) return next;
    // A terminating object whose last finalizer is gone is removed for good.
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length && resource !== PODS) {
      return this.removeNow(resource, next);
    }
    return deepCopy(this.store.put(resource, next, "MODIFIED"));
  }

  /**
   * Applies a patch of any type kube-apiserver takes (patch/index.ts): JSON
   * merge patch (the default, kemu's own client's), strategic merge patch,
   * JSON patch, or server-side apply.
   */
  patch(resource: ResourceInfo, namespace: string | undefined, name: string, patch: unknown, patchType: string = MERGE_PATCH, options: PatchOptions = {}): Stored<KubeObject> {
    return this.patchWithResult(resource, namespace, name, patch, patchType, options).object;
  }

  /** As patch; `created` says a server-side apply made the object (upstream answers 201). */
  patchWithResult(
    resource: ResourceInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    patchType: string,
    options: PatchOptions = {},
  ): { object: Stored<KubeObject>; created: boolean } {
    const target = { kind: resource.kind, group: resource.group, apiVersions: acceptedApiVersions(resource) };
    const type = checkPatchType(target, patchType);
    checkPatchOptions(type, options);
    if (viewOf(resource) && type === APPLY_PATCH && this.tryGet(resource, namespace, name)) {
      // A view has no managedFields of its own to merge by: the configuration is merged in and written as an update.
      const merged = withUrlName(patchObject(target, this.get(resource, namespace, name) as unknown as Record<string, unknown>, patch, type) as KubeObject, name);
      return { object: this.update(resource, merged, namespace, options), created: false };
    }
    if (type === APPLY_PATCH && !options.subresource && !this.tryGet(resource, namespace, name)) {
      // Server-side apply creates what is not there yet; the manager owns what its configuration sets.
      const config = structuredClone(checkedConfiguration(target, patch)) as KubeObject;
      const applied = structuredClone(config) as unknown as Record<string, unknown>;
      return { object: this.create(resource, withUrlName(config, name), namespace, { ...options, applyConfiguration: applied }), created: true };
    }
    const old = this.get(resource, namespace, name);
    const patched = patchObject(target, old as unknown as Record<string, unknown>, patch, type);
    if (!isPlainObject(patched)) throw new ApiError("Invalid", `the patched ${resource.kind} is not a JSON object`);
    const merged = withUrlName(patched as KubeObject, name);
    // A metadata of the wrong type is left for the type check to name.
    if (isPlainObject(merged.metadata)) merged.metadata = { ...merged.metadata, namespace: old.metadata.namespace };
    if (type === APPLY_PATCH && isPlainObject(merged.metadata)) {
      const config = checkedConfiguration(target, patch);
      const writer = writerOf(resource, options, options.subresource ?? "")!;
      merged.metadata = { ...merged.metadata, managedFields: old.metadata.managedFields };
      applyManagedFields(old as unknown as Record<string, unknown>, config, merged as Record<string, unknown>, patchSchemaOf(resource.kind), writer, options.force === true);
      return { object: this.update(resource, merged, namespace, { ...options, managedFieldsSet: true }), created: false };
    }
    return { object: this.update(resource, merged, namespace, options), created: false };
  }

  /** The scale subresource: the object's replicas and selector as an autoscaling/v1 Scale. */
  getScale(resource: ResourceInfo, namespace: string | undefined, name: string): Scale {
    requireScale(resource);
    return scaleOf(this.get(resource, namespace, name));
  }

  /**
   * Writes spec.replicas from a Scale (PUT …/scale): its resourceVersion, when
   * set, must be the object's (409 otherwise), as upstream's scaleUpdatedObjectInfo.
   */
  updateScale(resource: ResourceInfo, namespace: string | undefined, name: string, body: unknown, options: PatchOptions = {}): Scale {
    requireScale(resource);
    const wanted = readScale(body, name);
    const old = this.get(resource, namespace, name);
    if (wanted.resourceVersion !== undefined && wanted.resourceVersion !== old.metadata.resourceVersion) {
      throw ApiError.conflict(qualifiedPlural(resource), name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    const next = deepCopy(old) as Stored<KubeObject> & { spec: { replicas?: number } };
    next.spec = { ...(next.spec ?? {}), replicas: wanted.replicas };
    return scaleOf(this.update(resource, next, namespace, { ...options, subresource: undefined }));
  }

  /** PATCH …/scale: the patch applies to the Scale (merge, strategic or JSON patch), which is then written as updateScale does. */
  patchScale(resource: ResourceInfo, namespace: string | undefined, name: string, patch: unknown, patchType: string, options: PatchOptions = {}): Scale {
    requireScale(resource);
    const target = { kind: "Scale", group: "autoscaling", apiVersions: [SCALE_API_VERSION] };
    const type = checkPatchType(target, patchType);
    checkPatchOptions(type, options);
    if (type === APPLY_PATCH) throw new ApiError("UnsupportedMediaType", "server-side apply is not supported on the scale subresource by kemu");
    const current = scaleOf(this.get(resource, namespace, name));
    const patched = patchObject(target, current as unknown as Record<string, unknown>, patch, type);
    return this.updateScale(resource, namespace, name, patched, options);
  }

  delete(resource: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Stored<KubeObject> {
    const view = viewOf(resource);
    if (view) return view.toView(this.delete(view.storage, namespace, name, options));
    if (resource === NAMESPACES && IMMORTAL_NAMESPACES.has(name)) throw ApiError.forbidden("namespaces", name, "this namespace may not be deleted");
    const obj = this.get(resource, namespace, name);
    if (options.dryRun) return obj;
    if (options.propagationPolicy === "Orphan") this.orphanDependents(obj);

    const grace = resource === PODS ? podGracePeriod(obj, options) : 0;
    const finalizers = obj.metadata.finalizers ?? [];
    // Pods on a node end gracefully: the kubelet stops the containers and then deletes with grace 0.
    const graceful = resource === PODS && grace > 0 && Boolean((obj.spec as { nodeName?: string } | undefined)?.nodeName);
    if (graceful || finalizers.length > 0 || resource === NAMESPACES) {
      const already = obj.metadata.deletionTimestamp;
      if (already && !graceful) return obj;
      const next = deepCopy(obj);
      const shorter = !already || grace < (obj.metadata.deletionGracePeriodSeconds ?? Infinity);
      if (shorter) {
        next.metadata.deletionTimestamp = timestamp(Date.now() + grace * 1000);
        next.metadata.deletionGracePeriodSeconds = grace;
      }
      if (resource === NAMESPACES) (next as { status?: unknown }).status = { phase: "Terminating" };
      if (already && !shorter) return obj;
      return deepCopy(this.store.put(resource, next, "MODIFIED"));
    }
    return this.removeNow(resource, obj);
  }

  /** Removes a terminating object for good (the namespace controller's last step). */
  finalize(resource: ResourceInfo, namespace: string | undefined, name: string): void {
    const obj = this.store.get(resource, namespace, name);
    if (obj?.metadata.deletionTimestamp) this.removeNow(resource, obj);
  }

  private removeNow(resource: ResourceInfo, obj: Stored<KubeObject>): Stored<KubeObject> {
    const removed = this.store.remove(resource, obj);
    for (const a of this.admissions) a.released?.(resource, removed);
    return deepCopy(removed);
  }

  private orphanDependents(owner: Stored<KubeObject>): void {
    for (const r of RESOURCES) {
      if (!r.namespaced) continue;
      for (const dep of this.store.list(r, owner.metadata.namespace)) {
        const refs = dep.metadata.ownerReferences ?? [];
        if (!refs.some((ref) => ref.uid === owner.metadata.uid)) continue;
        const next = deepCopy(dep);
        next.metadata.ownerReferences = refs.filter((ref) => ref.uid !== owner.metadata.uid);
        this.store.put(r, next, "MODIFIED");
      }
    }
  }

  /**
   * Runs fn as one all-or-nothing change (kemu's apply): if it throws, every
   * write is undone, every admission's allocations are given back, and no
   * watcher hears of anything.
   */
  transaction<T>(fn: () => T): T {
    const restores = this.admissions.map((a) => a.checkpoint?.());
    try {
      return this.store.transaction(fn);
    } catch (err) {
      for (const restore of restores.reverse()) restore?.();
      throw err;
    }
  }

  /**
   * An object written through a view, in the stored form: its kind and
   * apiVersion checked as the view's, the top-level fields the view does not
   * have treated as field validation says (then dropped), converted, and its
   * namespace filled in as normalise would.
   */
  private fromView(resource: ResourceInfo, view: ResourceView, input: KubeObject, namespace: string | undefined, options: WriteOptions): KubeObject {
    const obj = withoutNulls(input);
    const expected = apiVersionOf(resource);
    if (obj.kind && obj.kind !== resource.kind) {
      throw new ApiError("BadRequest", `the kind of the provided object (${obj.kind}) does not match the resource (${resource.plural})`);
    }
    if (obj.apiVersion && obj.apiVersion !== expected) throw new ApiError("BadRequest", `apiVersion ${obj.apiVersion} is not served for ${qualifiedPlural(resource)}; use ${expected}`);
    const unknown = view.unknownFields(obj);
    if (unknown.length && options.fieldValidation && options.fieldValidation !== "Ignore") {
      const problems = unknown.map((f) => `unknown field ${JSON.stringify(f)}`);
      if (options.fieldValidation === "Strict") {
        throw new ApiError("BadRequest", `${resource.kind} in version ${JSON.stringify(resource.version)} cannot be handled as a ${resource.kind}: strict decoding error: ${problems.join(", ")}`);
      }
      options.warnings?.push(...problems);
    }
    for (const f of unknown) delete (obj as Record<string, unknown>)[f];
    const stored = view.toStorage({ ...obj, kind: resource.kind, apiVersion: expected });
    const meta = stored.metadata;
    if (isPlainObject(meta) && resource.namespaced) stored.metadata = { ...meta, namespace: typeof meta.namespace === "string" ? meta.namespace : (namespace ?? "default") };
    return stored;
  }

  /** A copy of the input with kind and apiVersion checked, null fields dropped, the JSON types checked, and the namespace filled in. */
  private normalise(resource: ResourceInfo, input: KubeObject, namespace: string | undefined, options: WriteOptions = {}): KubeObject {
    const obj = withoutNulls(input);
    const expected = apiVersionOf(resource);
    if (obj.kind && obj.kind !== resource.kind) {
      throw new ApiError("BadRequest", `the kind of the provided object (${obj.kind}) does not match the resource (${resource.plural})`);
    }
    if (obj.apiVersion && obj.apiVersion !== expected && resourceByKind(obj.kind, obj.apiVersion) !== resource) {
      throw new ApiError("BadRequest", `apiVersion ${obj.apiVersion} is not served for ${resource.kind}; use ${expected}`);
    }
    obj.kind = resource.kind;
    obj.apiVersion = expected;
    const typeErrors = typeCheck(obj);
    if (typeErrors.length) throw ApiError.invalid(resource.kind, resource.group, displayName(obj), typeErrors);
    if (options.fieldValidation) validateFields(resource, obj, options.fieldValidation, options.warnings, options.duplicateFields ?? []);
    mergeStringData(obj);
    obj.metadata = { ...(obj.metadata ?? {}) };
    if (resource.namespaced) {
      const ns = obj.metadata.namespace ?? namespace ?? "default";
      if (namespace && obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw new ApiError("BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
      }
      obj.metadata.namespace = ns;
    }
    return obj;
  }

  private check(resource: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
    const errors = validateObject(obj, old);
    if (errors.length) throw ApiError.invalid(resource.kind, resource.group, obj.metadata?.name ?? obj.metadata?.generateName ?? "", errors);
  }

  private runAdmission(resource: ResourceInfo, run: (a: Admission) => FieldError[] | void, obj: KubeObject): void {
    const errors: FieldError[] = [];
    for (const a of this.admissions) errors.push(...(run(a) ?? []));
    if (errors.length) throw ApiError.invalid(resource.kind, resource.group, obj.metadata?.name ?? "", errors);
  }

  private requireActiveNamespace(namespace: string): void {
    const ns = this.store.get(NAMESPACES, undefined, namespace);
    if (!ns) throw ApiError.notFound("namespaces", namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError("Forbidden", `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }
}

/** The name an error shows for an object whose metadata may be of any type. */
function displayName(obj: KubeObject): string {
  const meta = isPlainObject(obj.metadata) ? (obj.metadata as Record<string, unknown>) : {};
  return typeof meta.name === "string" ? meta.name : typeof meta.generateName === "string" ? meta.generateName : "";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** etcd's request limit, as kemu's store applies it to an object about to be written. */
function checkSize(resource: ResourceInfo, obj: KubeObject): void {
  const bytes = Buffer.byteLength(JSON.stringify(obj));
  if (bytes > MAX_OBJECT_BYTES) {
    throw new ApiError(
      "RequestEntityTooLarge",
      `${resource.group ? `${resource.kind}.${resource.group}` : resource.kind} "${displayName(obj)}" is too large to store: ${bytes} bytes, more than the limit of ${MAX_OBJECT_BYTES} (etcd's default request size)`,
    );
  }
}

function podGracePeriod(pod: Stored<KubeObject>, options: DeleteOptions): number {
  // A pod that has already finished has nothing left to stop (as upstream's pod strategy).
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === "Succeeded" || phase === "Failed") return 0;
  if (options.gracePeriodSeconds !== undefined) return Math.max(0, options.gracePeriodSeconds);
  const spec = pod.spec as { terminationGracePeriodSeconds?: number } | undefined;
  return spec?.terminationGracePeriodSeconds ?? 30;
}

function hasGeneration(resource: ResourceInfo): boolean {
  // Upstream's strategies for these kinds set no generation.
  // (HorizontalPodAutoscaler: none until the HPAGeneration gate, after 1.32.)
  return !["Pod", "Namespace", "Node", "EndpointSlice", "Lease", "Secret", "Event", "ConfigMap", "ServiceAccount", "Endpoints", "HorizontalPodAutoscaler"].includes(
    resource.kind,
  );
}

export function qualifiedPlural(resource: ResourceInfo): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

/**
 * Field validation as upstream's decoder does it: unknown fields are dropped,
 * with a warning each under Warn; under Strict the write is a 400 naming them all.
 */
function validateFields(resource: ResourceInfo, obj: KubeObject, mode: FieldValidation, warnings: string[] | undefined, duplicates: readonly string[]): void {
  const unknown = unknownFields(obj);
  if (unknown.length === 0 && duplicates.length === 0) return;
  const problems = [...duplicates.map((p) => `duplicate field ${JSON.stringify(p)}`), ...unknown.map((f) => `unknown field ${JSON.stringify(f.path)}`)];
  if (mode === "Strict") {
    throw new ApiError("BadRequest", `${resource.kind} in version ${JSON.stringify(resource.version)} cannot be handled as a ${resource.kind}: strict decoding error: ${problems.join(", ")}`);
  }
  if (mode === "Warn") warnings?.push(...problems);
  dropFields(unknown);
}

/** Who a write is recorded under in managedFields; undefined when nobody is named (in-process writes). */
function writerOf(resource: ResourceInfo, options: WriteOptions, subresource: string): Writer | undefined {
  const manager = options.fieldManager ?? options.defaultFieldManager;
  if (!manager) return undefined;
  return { manager, apiVersion: apiVersionOf(resource), subresource, time: managedFieldsTime(Date.now()) };
}

function requireScale(resource: ResourceInfo): void {
  if (!hasScaleSubresource(resource)) throw new ApiError("NotFound", `the server could not find the requested resource (${resource.plural}/scale)`);
}

/** The list order of keys (namespace, then name), as Store.list sorts. */
function compareKey(ns1: string, name1: string, ns2: string, name2: string): number {
  return ns1.localeCompare(ns2) || name1.localeCompare(name2);
}

function selectorFilter(options: ListOptions): ObjectFilter | undefined {
  let labels, fields;
  try {
    labels = options.labelSelector ? parseLabelSelector(options.labelSelector) : undefined;
    fields = options.fieldSelector ? parseFieldSelector(options.fieldSelector) : undefined;
  } catch (err) {
    throw new ApiError("BadRequest", `unable to parse requirement: ${(err as Error).message}`);
  }
  if (!labels && !fields) return undefined;
  return (obj) => (!labels || matchesRequirements(labels, obj.metadata.labels)) && (!fields || matchesFieldSelector(fields, obj));
}

/** Upstream's ValidatePatchOptions (apimachinery meta/v1/validation): 422 on PatchOptions. */
function checkPatchOptions(type: PatchType, options: PatchOptions): void {
  const errors: FieldError[] = [];
  if (type === APPLY_PATCH && !options.fieldManager) errors.push(fieldErrors.required("fieldManager", "is required for apply patch"));
  if (type !== APPLY_PATCH && options.force !== undefined) errors.push(fieldErrors.forbidden("force", "may not be specified for non-apply patch"));
  if ((options.fieldManager?.length ?? 0) > FIELD_MANAGER_MAX_LENGTH) errors.push(fieldErrors.tooLong("fieldManager", options.fieldManager, FIELD_MANAGER_MAX_LENGTH));
  if (errors.length) throw ApiError.invalid("PatchOptions", "meta.k8s.io", "", errors);
}

/** upstream's FieldManagerMaxLength */
const FIELD_MANAGER_MAX_LENGTH = 128;

/** The object named as on the URL; a different name in the body is refused, as upstream's checkName. */
function withUrlName(obj: KubeObject, name: string): KubeObject {
  if (obj.metadata === undefined) obj.metadata = {};
  if (!isPlainObject(obj.metadata)) return obj;
  const given = obj.metadata.name;
  if (given !== undefined && given !== name) {
    throw new ApiError("BadRequest", `the name of the object (${String(given)}) does not match the name on the URL (${name})`);
  }
  obj.metadata.name = name;
  return obj;
}
