// The NetworkPolicy scenario catalogue on a real cluster, pods spread over
// three nodes (x/a on node-1, x/b on node-2, …): most pairs cross nodes, so
// egress runs on the client's node and ingress on the server's.
import { describeNetpolScenarios } from "../support/netpol-driver.js";

describeNetpolScenarios("spread over 3 nodes");
