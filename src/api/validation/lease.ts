// Leases (coordination.k8s.io/v1): the node heartbeats in kube-node-lease.
import { FieldError, fieldErrors } from "../errors.js";
import type { KubeObject } from "../types.js";
import { isNegativeErrorMsg } from "./names.js";
import { child, isInt, obj } from "./util.js";

/** Lease spec (metadata is checked by the caller), with upstream's two rules. */
export function validateLeaseBody(lease: KubeObject): FieldError[] {
  const spec = obj(lease.spec);
  const errs: FieldError[] = [];
  const duration = spec.leaseDurationSeconds;
  if (isInt(duration) && duration <= 0) errs.push(fieldErrors.invalid(child("spec", "leaseDurationSeconds"), duration, "must be greater than 0"));
  const transitions = spec.leaseTransitions;
  if (isInt(transitions) && transitions < 0) errs.push(fieldErrors.invalid(child("spec", "leaseTransitions"), transitions, isNegativeErrorMsg));
  return errs;
}
