// The DefaultIngressClass admission plugin (plugin/pkg/admission/network/
// defaultingressclass): a new Ingress that names no class, neither in
// spec.ingressClassName nor in the deprecated kubernetes.io/ingress.class
// annotation, gets the IngressClass marked default. Only on create.
import type { KubeObject } from "./types.js";
import { IS_DEFAULT_CLASS_ANNOTATION } from "./validation/ingressclass.js";
import { INGRESS_CLASS_ANNOTATION } from "./validation/ingress.js";

/**
 * The default class among classes: those annotated
 * `ingressclass.kubernetes.io/is-default-class: "true"`; of several, the
 * newest (then the first name), as upstream's getDefaultClass sorts them.
 */
export function defaultIngressClass(classes: readonly KubeObject[]): string | undefined {
  const defaults = classes.filter((c) => c.metadata?.annotations?.[IS_DEFAULT_CLASS_ANNOTATION] === "true");
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? "") || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? "") || 0;
    return ta !== tb ? tb - ta : (a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1;
  });
  return defaults[0]?.metadata?.name;
}

/** ingress with spec.ingressClassName set to the default class when it names none (mutated in place). */
export function admitIngressClass(ingress: KubeObject, classes: readonly KubeObject[]): void {
  const spec = (ingress.spec ?? {}) as { ingressClassName?: unknown };
  if (spec.ingressClassName !== undefined) return;
  if (ingress.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined) return;
  const name = defaultIngressClass(classes);
  if (name === undefined) return;
  ingress.spec = { ...spec, ingressClassName: name };
}
