// The kubeconfig entries kemu writes and takes out, as kind does
// (kind pkg/cluster/internal/kubeconfig/internal/kubeconfig: merge_test.go,
// remove_test.go, paths_test.go): exact YAML in, exact YAML out.
import { describe, it, expect } from "vitest";
import { kubeconfigEntry, standaloneKubeconfig } from "../../src/kubeconfig/entry.js";
import { indentsLists, mergeKubeconfig, removeFromKubeconfig } from "../../src/kubeconfig/merge.js";
import { kubeconfigPaths, pathForMerge } from "../../src/kubeconfig/paths.js";
import { authorized, bearerToken } from "../../src/api/https.js";

const entry = kubeconfigEntry("dev", { server: "https://127.0.0.1:40123", caPem: "PEM\n", token: "tok" });
// base64("PEM\n")
const CA = "UEVNCg==";

const KEMU_DEV = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${CA}
    server: https://127.0.0.1:40123
  name: kemu-dev
contexts:
- context:
    cluster: kemu-dev
    user: kemu-dev
  name: kemu-dev
current-context: kemu-dev
kind: Config
preferences: {}
users:
- name: kemu-dev
  user:
    token: tok
`;

// As kubectl writes a file (kind's own cluster in it), with a comment and quoting of the user's own.
const OTHER = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: QUJD
    server: "https://127.0.0.1:6443"
  name: kind-kind # made by kind
contexts:
- context:
    cluster: kind-kind
    namespace: 'team-a'
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: REVG
    client-key-data: R0hJ
`;

const OTHER_WITH_DEV = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: QUJD
    server: "https://127.0.0.1:6443"
  name: kind-kind # made by kind
- cluster:
    certificate-authority-data: ${CA}
    server: https://127.0.0.1:40123
  name: kemu-dev
contexts:
- context:
    cluster: kind-kind
    namespace: 'team-a'
    user: kind-kind
  name: kind-kind
- context:
    cluster: kemu-dev
    user: kemu-dev
  name: kemu-dev
current-context: kemu-dev
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: REVG
    client-key-data: R0hJ
- name: kemu-dev
  user:
    token: tok
`;

describe("kubeconfig entry", () => {
  it("is kind's shape under the name kemu-<cluster>: the CA as base64 data, a bearer token, the context current", () => {
    expect(entry).toEqual({
      key: "kemu-dev",
      cluster: { cluster: { "certificate-authority-data": CA, server: "https://127.0.0.1:40123" }, name: "kemu-dev" },
      user: { name: "kemu-dev", user: { token: "tok" } },
      context: { context: { cluster: "kemu-dev", user: "kemu-dev" }, name: "kemu-dev" },
    });
    expect(standaloneKubeconfig(entry)).toBe(KEMU_DEV);
  });
});

describe("mergeKubeconfig (kind merge.go)", () => {
  it("into no file: the standalone kubeconfig", () => {
    expect(mergeKubeconfig("", entry, "f")).toBe(KEMU_DEV);
  });

  it("appends to each list, sets current-context, keeps the other entries, their quoting and comments", () => {
    expect(mergeKubeconfig(OTHER, entry, "f")).toBe(OTHER_WITH_DEV);
  });

  it("replaces an entry of the same name in place (a cluster started again on another port)", () => {
    const moved = kubeconfigEntry("dev", { server: "https://127.0.0.1:40999", caPem: "PEM\n", token: "tok2" });
    const withOld = OTHER_WITH_DEV.replace("current-context: kemu-dev", "current-context: kind-kind");
    expect(mergeKubeconfig(withOld, moved, "f")).toBe(OTHER_WITH_DEV.replace("40123", "40999").replace("token: tok", "token: tok2"));
  });

  it("leaves current-context alone when asked", () => {
    expect(mergeKubeconfig(OTHER, entry, "f", { setCurrentContext: false })).toBe(OTHER_WITH_DEV.replace("current-context: kemu-dev", "current-context: kind-kind"));
  });

  it("keeps a file's indented list style; an empty flow list becomes a block list; missing lists are added", () => {
    const indented = `apiVersion: v1\nclusters:\n  - cluster:\n      server: https://a\n    name: a\ncontexts: []\nkind: Config\n`;
    expect(mergeKubeconfig(indented, entry, "f")).toBe(
      `apiVersion: v1
clusters:
  - cluster:
      server: https://a
    name: a
  - cluster:
      certificate-authority-data: ${CA}
      server: https://127.0.0.1:40123
    name: kemu-dev
contexts:
  - context:
      cluster: kemu-dev
      user: kemu-dev
    name: kemu-dev
kind: Config
users:
  - name: kemu-dev
    user:
      token: tok
current-context: kemu-dev
`,
    );
  });

  it("a file of comments only keeps them above the standalone config", () => {
    expect(mergeKubeconfig("# mine\n", entry, "f")).toBe(`# mine\n\n${KEMU_DEV}`);
  });

  it("adds apiVersion and kind to a file that has neither (kind issue 1242)", () => {
    expect(mergeKubeconfig("current-context: x\n", entry, "f")).toBe(
      `current-context: kemu-dev
clusters:
- cluster:
    certificate-authority-data: ${CA}
    server: https://127.0.0.1:40123
  name: kemu-dev
users:
- name: kemu-dev
  user:
    token: tok
contexts:
- context:
    cluster: kemu-dev
    user: kemu-dev
  name: kemu-dev
apiVersion: v1
kind: Config
`,
    );
  });

  it("refuses a file that is not a kubeconfig, naming the file and what was expected", () => {
    expect(() => mergeKubeconfig("- a\n- b\n", entry, "/home/u/.kube/config")).toThrow(
      "/home/u/.kube/config: not a valid kubeconfig: expected a mapping (apiVersion, clusters, contexts, users…) at the top level",
    );
    expect(() => mergeKubeconfig("clusters: {a: 1}\n", entry, "k")).toThrow("k: not a valid kubeconfig: clusters: expected a list of entries with a name");
    expect(() => mergeKubeconfig("a: [\n", entry, "k")).toThrow(/^k: not a valid kubeconfig: /);
  });
});

describe("removeFromKubeconfig (kind remove.go)", () => {
  it("takes out exactly the cluster's three entries and unsets current-context that named them", () => {
    expect(removeFromKubeconfig(OTHER_WITH_DEV, "kemu-dev", "f")).toEqual({ text: OTHER.replace("current-context: kind-kind", 'current-context: ""'), changed: true });
  });

  it("leaves current-context when it names another context", () => {
    const otherCurrent = OTHER_WITH_DEV.replace("current-context: kemu-dev", "current-context: kind-kind");
    expect(removeFromKubeconfig(otherCurrent, "kemu-dev", "f")).toEqual({ text: OTHER, changed: true });
  });

  it("a file without the entries is returned as it was, unchanged", () => {
    expect(removeFromKubeconfig(OTHER, "kemu-dev", "f")).toEqual({ text: OTHER, changed: false });
    expect(removeFromKubeconfig("", "kemu-dev", "f")).toEqual({ text: "", changed: false });
  });

  it("the last entries out leave empty lists", () => {
    expect(removeFromKubeconfig(KEMU_DEV, "kemu-dev", "f")).toEqual({
      text: `apiVersion: v1\nclusters: []\ncontexts: []\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: []\n`,
      changed: true,
    });
  });
});

describe("indentsLists", () => {
  it("reads the first block list's style", () => {
    expect(indentsLists(OTHER)).toBe(false);
    expect(indentsLists("clusters:\n  - name: a\n")).toBe(true);
    expect(indentsLists("a: 1\n")).toBe(false);
  });
});

describe("kubeconfig paths (kind paths.go)", () => {
  const exists = (files: string[]) => (p: string) => files.includes(p);
  it("an explicit path wins", () => {
    expect(pathForMerge("/x", { KUBECONFIG: "/a:/b", HOME: "/h" }, exists(["/a"]))).toBe("/x");
  });
  it("$KUBECONFIG: the first file that exists, else the last; empty and repeated entries dropped", () => {
    expect(kubeconfigPaths(undefined, { KUBECONFIG: "/a::/b:/a" })).toEqual(["/a", "/b"]);
    expect(pathForMerge(undefined, { KUBECONFIG: "/a:/b:/c" }, exists(["/b", "/c"]))).toBe("/b");
    expect(pathForMerge(undefined, { KUBECONFIG: "/a:/b:/c" }, exists([]))).toBe("/c");
    expect(pathForMerge(undefined, { KUBECONFIG: "/only" }, exists([]))).toBe("/only");
  });
  it("else $HOME/.kube/config; neither set is an error naming the flag", () => {
    expect(pathForMerge(undefined, { KUBECONFIG: "", HOME: "/root" }, exists([]))).toBe("/root/.kube/config");
    expect(() => kubeconfigPaths(undefined, {})).toThrow("neither KUBECONFIG nor HOME is set: give the kubeconfig file with --kubeconfig");
  });
});

describe("bearer token (kube-apiserver's bearertoken authenticator)", () => {
  it("reads `Bearer <token>`, the scheme in any case", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer ")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
  it("accepts only the cluster's token", () => {
    expect(authorized("Bearer tok", "tok")).toBe(true);
    expect(authorized("Bearer tok2", "tok")).toBe(false);
    expect(authorized(undefined, "tok")).toBe(false);
  });
});
