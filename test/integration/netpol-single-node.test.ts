// The NetworkPolicy scenario catalogue on a real cluster, all nine pods on
// node-1: pods are routed, not bridged, so same-node traffic crosses the
// node's forward hook and both sides are enforced in one table.
import { describeNetpolScenarios } from "../support/netpol-driver.js";

describeNetpolScenarios("all on one node");
