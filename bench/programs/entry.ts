/**
 * Entry of every benchmark project (the real root program and the baseline alike): when
 * `BENCH_REGISTRATION_LOG` names a file, records when the program declared each resource, then
 * runs the program `BENCH_PROGRAM` names. Timestamps are `performance.now()` of the program
 * process, i.e. milliseconds since that process started.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";

const log = process.env.BENCH_REGISTRATION_LOG;
if (log) {
  let first: number | undefined;
  let last: number | undefined;
  let count = 0;
  // Legacy (local, synchronous) transformations run inside each resource's constructor.
  pulumi.runtime.registerStackTransformation(() => {
    const t = performance.now();
    first ??= t;
    last = t;
    count++;
    return undefined;
  });
  process.on("exit", () => writeFileSync(log, JSON.stringify({ firstMs: first, lastMs: last, count })));
}

export = require(process.env.BENCH_PROGRAM ?? "./program/index");
