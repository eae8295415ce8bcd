// The last check of the suite: every test cleaned up after itself.
import { describe, it, expect } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { rootOnly, leftovers, NONE } from "../support/host.js";

describe.skipIf(!rootOnly())("the host after the whole suite", () => {
  it("has no kemu namespaces, links, /etc/netns entries, processes or state directories", () => {
    expect(leftovers()).toEqual(NONE);
    expect(existsSync("/run/kemu") ? readdirSync("/run/kemu") : []).toEqual([]);
  });
});
