// kubectl's JSONPath: the cases of k8s.io/client-go/util/jsonpath
// jsonpath_test.go restated (test names kept). Upstream runs some cases on Go
// structs, whose fields print in declaration order; kemu only ever sees
// decoded JSON (maps), which encoding/json prints with sorted keys, so those
// expectations are written with sorted keys here.
import { describe, it, expect } from "vitest";
import { jsonPath, parseJsonPath, findResults, goSprint, JsonPathError } from "../../src/cli/jsonpath.js";

type Case = [name: string, template: string, input: unknown, expected: string];

function run(cases: Case[], allowMissingKeys: boolean): void {
  for (const [name, template, input, expected] of cases) {
    it(`${name}: ${template}`, () => {
      expect(jsonPath(template, input, { allowMissingKeys })).toBe(expected);
    });
  }
}

function fails(cases: [name: string, template: string, input: unknown, message?: string][], allowMissingKeys: boolean): void {
  for (const [name, template, input, message] of cases) {
    it(`${name}: ${template} fails`, () => {
      expect(() => jsonPath(template, input, { allowMissingKeys })).toThrow(message ? new JsonPathError(message) : JsonPathError);
    });
  }
}

describe("TestTypesInput", () => {
  const types = {
    bools: [true, false, true, false],
    integers: [1, 2, 3, 4],
    floats: [1.0, 2.2, 3.3, 4.0],
    strings: ["one", "two", "three", "four"],
    interfaces: [true, "one", 1, 1.1],
    maps: [
      { name: "one", value: 1 },
      { name: "two", value: 2.02 },
      { name: "three", value: 3.03 },
      { name: "four", value: 4.04 },
    ],
  };
  run(
    [
      ["boolSlice", "{ .bools }", types, "[true,false,true,false]"],
      ["boolSliceIndex", "{ .bools[0] }", types, "true"],
      ["boolSliceIndex", "{ .bools[-1] }", types, "false"],
      ["boolSubSlice", "{ .bools[0:2] }", types, "true false"],
      ["boolSubSliceFirst2", "{ .bools[:2] }", types, "true false"],
      ["boolSubSliceStep2", "{ .bools[:4:2] }", types, "true true"],
      ["integerSlice", "{ .integers }", types, "[1,2,3,4]"],
      ["integerSliceIndexReverse", "{ .integers[-2] }", types, "3"],
      ["integerSubSliceStep2", "{ .integers[:4:2] }", types, "1 3"],
      ["floatSlice", "{ .floats }", types, "[1,2.2,3.3,4]"],
      ["floatSliceIndex", "{ .floats[0] }", types, "1"],
      ["floatSliceIndexReverse", "{ .floats[-2] }", types, "3.3"],
      ["floatSubSliceFirst2", "{ .floats[0:2] }", types, "1 2.2"],
      ["stringSlice", "{ .strings }", types, '["one","two","three","four"]'],
      ["stringSliceIndexReverse", "{ .strings[-2] }", types, "three"],
      ["stringSubSliceStep2", "{ .strings[:4:2] }", types, "one three"],
      ["interfaceSlice", "{ .interfaces }", types, '[true,"one",1,1.1]'],
      ["interfaceSliceIndexReverse", "{ .interfaces[-2] }", types, "1"],
      ["interfaceSubSliceStep2", "{ .interfaces[:4:2] }", types, "true 1"],
      ["mapSlice", "{ .maps }", types, '[{"name":"one","value":1},{"name":"two","value":2.02},{"name":"three","value":3.03},{"name":"four","value":4.04}]'],
      ["mapSliceIndex", "{ .maps[0] }", types, '{"name":"one","value":1}'],
      ["mapSliceIndexReverse", "{ .maps[-2] }", types, '{"name":"three","value":3.03}'],
      ["mapSubSliceFirst2", "{ .maps[0:2] }", types, '{"name":"one","value":1} {"name":"two","value":2.02}'],
      ["mapSubSliceStepOdd", "{ .maps[::2] }", types, '{"name":"one","value":1} {"name":"three","value":3.03}'],
      ["mapSubSliceStepEven", "{ .maps[1::2] }", types, '{"name":"two","value":2.02} {"name":"four","value":4.04}'],
    ],
    false,
  );
});

describe("TestStructInput (as JSON)", () => {
  const store = {
    Name: "jsonpath",
    Book: [
      { Category: "reference", Author: "Nigel Rees", Title: "Sayings of the Centurey", Price: 8.95 },
      { Category: "fiction", Author: "Evelyn Waugh", Title: "Sword of Honour", Price: 12.99 },
      { Category: "fiction", Author: "Herman Melville", Title: "Moby Dick", Price: 8.99 },
    ],
    Bicycle: [
      { Color: "red", Price: 19.95, IsNew: true },
      { Color: "green", Price: 20.01, IsNew: false },
    ],
    Labels: { engieer: 10, "web/html": 15, "k8s-app": 20 },
    Employees: { jason: "manager", dan: "clerk" },
  };
  run(
    [
      ["plain", "hello jsonpath", null, "hello jsonpath"],
      ["recursive", "{..}", [1, 2, 3], "[1,2,3]"],
      ["filter", "{[?(@<5)]}", [2, 6, 3, 7], "2 3"],
      ["quote", '{"{"}', null, "{"],
      ["union", "{[1,3,4]}", [0, 1, 2, 3, 4], "1 3 4"],
      ["array", "{[0:2]}", ["Monday", "Tudesday"], "Monday Tudesday"],
      ["variable", "hello {.Name}", store, "hello jsonpath"],
      ["dict/", "{$.Labels.web/html}", store, "15"],
      ["dict/", "{$.Employees.jason}", store, "manager"],
      ["dict/", "{$.Employees.dan}", store, "clerk"],
      ["dict-", "{.Labels.k8s-app}", store, "20"],
      ["nest", "{.Bicycle[*].Color}", store, "red green"],
      ["allarray", "{.Book[*].Author}", store, "Nigel Rees Evelyn Waugh Herman Melville"],
      ["allfields", '{range .Bicycle[*]}{ "{" }{ @.* }{ "} " }{end}', store, "{red 19.95 true} {green 20.01 false} "],
      ["recurfields", "{..Price}", store, "8.95 12.99 8.99 19.95 20.01"],
      ["recurdotfields", "{...Price}", store, "8.95 12.99 8.99 19.95 20.01"],
      ["allstructsSlice", "{.Bicycle}", store, '[{"Color":"red","IsNew":true,"Price":19.95},{"Color":"green","IsNew":false,"Price":20.01}]'],
      ["allstructs", '{range .Bicycle[*]}{ @ }{ " " }{end}', store, '{"Color":"red","IsNew":true,"Price":19.95} {"Color":"green","IsNew":false,"Price":20.01} '],
      ["lastarray", "{.Book[-1:]}", store, '{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}'],
      ["recurarray", "{..Book[2]}", store, '{"Author":"Herman Melville","Category":"fiction","Price":8.99,"Title":"Moby Dick"}'],
      ["bool", "{.Bicycle[?(@.IsNew==true)]}", store, '{"Color":"red","IsNew":true,"Price":19.95}'],
      ["regexp match get red bicycle", "{.Bicycle[?(@.Color=~'.*ed.*')]}", store, '{"Color":"red","IsNew":true,"Price":19.95}'],
      ["regexp match get green bicycle", "{.Bicycle[?(@.Color=~'^g.*en.*')]}", store, '{"Color":"green","IsNew":false,"Price":20.01}'],
      ["regexp match get all bicycle", "{.Bicycle[?(@.Color=~'.*e.*')]}", store, '{"Color":"red","IsNew":true,"Price":19.95} {"Color":"green","IsNew":false,"Price":20.01}'],
    ],
    false,
  );
  fails(
    [
      ["superrecurfields", "{............................................................Price}", store],
      ["regexp match with bool is not supported", "{.Bicycle[?(@.IsNew=~'.*ue')]}", store],
      ["regexp match with number is not supported", "{.Bicycle[?(@.Price=~'.*95')]}", store],
    ],
    false,
  );
  run(
    [
      ["nonexistent field", "{.hello}", store, ""],
      ["nonexistent field 2", "before-{.hello}after", store, "before-after"],
    ],
    true,
  );
  fails(
    [
      ["invalid identifier", "{hello}", store, "unrecognized identifier hello"],
      ["nonexistent field", "{.hello}", store, "hello is not found"],
      ["invalid array", "{.Labels[0]}", store, "map[string]interface {} is not array or slice"],
      ["invalid filter operator", "{.Book[?(@.Price<>10)]}", store, "unrecognized filter operator <>"],
      ["redundant end", "{range .Labels.*}{@}{end}{end}", store, "not in range, nothing to end"],
    ],
    false,
  );
});

describe("TestJSONInput", () => {
  const points = [
    { id: "i1", x: 4, y: -5 },
    { id: "i2", x: -2, y: -5, z: 1 },
    { id: "i3", x: 8, y: 3 },
    { id: "i4", x: -6, y: -1 },
    { id: "i5", x: 0, y: 2, z: 1 },
    { id: "i6", x: 1, y: 4 },
  ];
  run(
    [
      ["exists filter", "{[?(@.z)].id}", points, "i2 i5"],
      ["bracket key", "{[0]['id']}", points, "i1"],
    ],
    false,
  );
});

describe("TestKubernetes", () => {
  const nodes = {
    kind: "List",
    items: [
      {
        kind: "None",
        metadata: { name: "127.0.0.1", labels: { "kubernetes.io/hostname": "127.0.0.1" } },
        status: { capacity: { cpu: "4" }, ready: true, addresses: [{ type: "LegacyHostIP", address: "127.0.0.1" }] },
      },
      {
        kind: "None",
        metadata: { name: "127.0.0.2", labels: { "kubernetes.io/hostname": "127.0.0.2" } },
        status: {
          capacity: { cpu: "8" },
          ready: false,
          addresses: [
            { type: "LegacyHostIP", address: "127.0.0.2" },
            { type: "another", address: "127.0.0.3" },
          ],
        },
      },
    ],
    users: [
      { name: "myself", user: {} },
      { name: "e2e", user: { username: "admin", password: "secret" } },
    ],
  };
  run(
    [
      ["range item", "{range .items[*]}{.metadata.name}, {end}{.kind}", nodes, "127.0.0.1, 127.0.0.2, List"],
      ["range item with quote", '{range .items[*]}{.metadata.name}{"\\t"}{end}', nodes, "127.0.0.1\t127.0.0.2\t"],
      ["range addresss", "{.items[*].status.addresses[*].address}", nodes, "127.0.0.1 127.0.0.2 127.0.0.3"],
      ["double range", "{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}", nodes, "127.0.0.1, 127.0.0.2, 127.0.0.3, "],
      ["item name", "{.items[*].metadata.name}", nodes, "127.0.0.1 127.0.0.2"],
      ["union nodes capacity", "{.items[*]['metadata.name', 'status.capacity']}", nodes, '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'],
      ["range nodes capacity", "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}", nodes, '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '],
      ["user password", '{.users[?(@.name=="e2e")].user.password}', nodes, "secret"],
      ["hostname", "{.items[0].metadata.labels.kubernetes\\.io/hostname}", nodes, "127.0.0.1"],
      ["hostname filter", '{.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.1")].kind}', nodes, "None"],
      ["bool item", "{.items[?(@..ready==true)].metadata.name}", nodes, "127.0.0.1"],
    ],
    false,
  );
  it("recursive name (upstream sorts the words: map order is random in Go)", () => {
    expect(jsonPath("{..name}", nodes, { allowMissingKeys: false }).split(" ").sort()).toEqual(["127.0.0.1", "127.0.0.2", "e2e", "myself"]);
  });
});

describe("TestEmptyRange", () => {
  const empty = { items: [] };
  run(
    [
      ["empty range", "{range .items[*]}{.metadata.name}{end}", empty, ""],
      ["empty nested range", '{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}', empty, ""],
    ],
    true,
  );
});

describe("TestNestedRanges", () => {
  const another = [{ name: "value1" }, { name: "value2" }];
  const data = {
    items: [
      { metadata: { name: "pod1" }, spec: { containers: [{ name: "foo", another }, { name: "bar", another }] } },
      { metadata: { name: "pod2" }, spec: { containers: [{ name: "baz", another }] } },
    ],
  };
  run(
    [
      ["nested range with a trailing newline", '{range .items[*]}{.metadata.name}{":"}{range @.spec.containers[*]}{.name}{","}{end}{"+"}{end}', data, "pod1:foo,bar,+pod2:baz,+"],
      [
        "nested range with a trailing character within another nested range with a trailing newline",
        '{range .items[*]}{.metadata.name}{"~"}{range @.spec.containers[*]}{.name}{":"}{range @.another[*]}{.name}{","}{end}{"+"}{end}{"#"}{end}',
        data,
        "pod1~foo:value1,value2,+bar:value1,value2,+#pod2~baz:value1,value2,+#",
      ],
      [
        "two nested ranges at the same level with a trailing newline",
        '{range .items[*]}{.metadata.name}{"\\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\\t"}{range @.spec.containers[*]}{.name}{" "}{end}{"\\n"}{end}',
        data,
        "pod1\tfoo bar \tfoo bar \npod2\tbaz \tbaz \n",
      ],
    ],
    false,
  );
});

describe("TestFilterPartialMatchesSometimesMissingAnnotations", () => {
  const data = {
    kind: "List",
    items: [
      { kind: "Pod", metadata: { name: "pod1", annotations: { color: "blue" } } },
      { kind: "Pod", metadata: { name: "pod2" } },
      { kind: "Pod", metadata: { name: "pod3", annotations: { color: "green" } } },
      { kind: "Pod", metadata: { name: "pod4", annotations: { color: "blue" } } },
    ],
  };
  const template = '{.items[?(@.metadata.annotations.color=="blue")].metadata.name}';
  run([["tolerate missing items", template, data, "pod1 pod4"]], true);
  fails([["error on missing items", template, data, "annotations is not found"]], false);
});

describe("TestNegativeIndex", () => {
  const data = { kind: "Pod", spec: { containers: [0, 1, 2, 3].map((i) => ({ image: "radial/busyboxplus:curl", name: `fake${i}` })) } };
  run(
    [
      ["containers[0]", "{.spec.containers[0].name}", data, "fake0"],
      ["containers[0:0] is empty", "{.spec.containers[0:0].name}", data, ""],
      ["containers[0:-1] is containers[0:3]", "{.spec.containers[0:-1].name}", data, "fake0 fake1 fake2"],
      ["containers[-1] is containers[3]", "{.spec.containers[-1].name}", data, "fake3"],
      ["containers[-1:] is containers[3:]", "{.spec.containers[-1:].name}", data, "fake3"],
      ["containers[-2]", "{.spec.containers[-2].name}", data, "fake2"],
      ["containers[-2:]", "{.spec.containers[-2:].name}", data, "fake2 fake3"],
      ["containers[-3]", "{.spec.containers[-3].name}", data, "fake1"],
      ["containers[-4]", "{.spec.containers[-4].name}", data, "fake0"],
      ["containers[-4:]", "{.spec.containers[-4:].name}", data, "fake0 fake1 fake2 fake3"],
      ["containers[5:5] is empty", "{.spec.containers[5:5].name}", data, ""],
      ["containers[-5:-5] is empty", "{.spec.containers[-5:-5].name}", data, ""],
    ],
    false,
  );
  fails(
    [
      ["containers[-1:0]", "{.spec.containers[-1:0].name}", data, "starting index 3 is greater than ending index 0"],
      ["containers[-5] is out of bounds", "{.spec.containers[-5].name}", data, "array index out of bounds: index -1, length 4"],
      ["containers[3:1]", "{.spec.containers[3:1].name}", data, "starting index 3 is greater than ending index 1"],
      ["containers[-1:-2]", "{.spec.containers[-1:-2].name}", data, "starting index 3 is greater than ending index 2"],
    ],
    false,
  );
});

describe("TestRunningPodsJSONPathOutput", () => {
  const data = {
    kind: "List",
    items: [
      { kind: "Pod", metadata: { name: "pod1" }, status: { phase: "Running" } },
      { kind: "Pod", metadata: { name: "pod2" }, status: { phase: "Running" } },
      { kind: "Pod", metadata: { name: "pod3" }, status: { phase: "Running" } },
      { resourceVersion: "" },
    ],
  };
  run([["range over pods without selecting the last one", '{range .items[?(.status.phase=="Running")]}{.metadata.name}{" is Running\\n"}{end}', data, "pod1 is Running\npod2 is Running\npod3 is Running\n"]], true);
});

describe("TestStep", () => {
  const data = { spec: { containers: [0, 1, 2, 3, 4, 5].map((i) => ({ name: `fake${i}` })) } };
  run(
    [
      ["containers[0:]", "{.spec.containers[0:].name}", data, "fake0 fake1 fake2 fake3 fake4 fake5"],
      ["containers[0:6:]", "{.spec.containers[0:6:].name}", data, "fake0 fake1 fake2 fake3 fake4 fake5"],
      ["containers[0:6:1]", "{.spec.containers[0:6:1].name}", data, "fake0 fake1 fake2 fake3 fake4 fake5"],
      ["containers[1:4:2]", "{.spec.containers[1:4:2].name}", data, "fake1 fake3"],
      ["containers[1:4:3]", "{.spec.containers[1:4:3].name}", data, "fake1"],
      ["containers[1:4:4]", "{.spec.containers[1:4:4].name}", data, "fake1"],
      ["containers[0:6:2]", "{.spec.containers[0:6:2].name}", data, "fake0 fake2 fake4"],
      ["containers[0:6:3]", "{.spec.containers[0:6:3].name}", data, "fake0 fake3"],
      ["containers[0:6:5]", "{.spec.containers[0:6:5].name}", data, "fake0 fake5"],
      ["containers[0:6:6]", "{.spec.containers[0:6:6].name}", data, "fake0"],
    ],
    false,
  );
  fails(
    [
      ["containers[0:6:0]", "{.spec.containers[0:6:0].name}", data, "step must be > 0"],
      ["containers[0:6:-1]", "{.spec.containers[0:6:-1].name}", data, "step must be > 0"],
    ],
    false,
  );
});

describe("kemu's own", () => {
  it("kubectl habits: a pod IP per line, labels as JSON with HTML-escaped characters", () => {
    const list = { items: [{ metadata: { name: "a", labels: { x: "<b>" } }, status: { podIP: "10.244.1.2" } }, { metadata: { name: "b" }, status: { podIP: "10.244.2.3" } }] };
    expect(jsonPath('{range .items[*]}{.metadata.name}{"\\t"}{.status.podIP}{"\\n"}{end}', list)).toBe("a\t10.244.1.2\nb\t10.244.2.3\n");
    expect(jsonPath("{.items[0].metadata.labels}", list)).toBe('{"x":"\\u003cb\\u003e"}');
    expect(jsonPath("{.items[?(@.metadata.name=='b')].status.podIP}", list)).toBe("10.244.2.3");
  });
  it("findResults gives each action's values, for custom columns", () => {
    expect(findResults(parseJsonPath("{.a[*]}{.b}"), { a: [1, 2], b: "x" })).toEqual([[1, 2], ["x"]]);
  });
  it("goSprint prints as fmt.Sprint does", () => {
    expect(goSprint({ b: 1, a: ["x", null] })).toBe("map[a:[x <nil>] b:1]");
    expect(goSprint(0.00001)).toBe("1e-05");
    expect(goSprint(1e21)).toBe("1e+21");
  });
  it("bad templates name what is wrong", () => {
    expect(() => parseJsonPath("{.a")).toThrow('unclosed action in "{.a": expected "}"');
    expect(() => parseJsonPath("{range .a}x")).toThrow("unclosed range");
    expect(() => parseJsonPath("{.a[x]}")).toThrow('invalid array index "x"');
  });
});
