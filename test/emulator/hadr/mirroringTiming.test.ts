import { afterEach, it } from "vitest";
import { sql, stopAll } from "./helpers";
import { mirroringRow, mirroringTrio, seed, waitForState } from "./mirroringSupport";
afterEach(stopAll);
it("timing", async () => {
  const { a, b, w } = await mirroringTrio({ witness: true });
  await seed(a, b);
  let t = performance.now();
  await sql(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
  const mirrorStep = performance.now() - t; t = performance.now();
  await sql(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`);
  const principalStep = performance.now() - t; t = performance.now();
  await waitForState(a, "SYNCHRONIZED");
  const sync = performance.now() - t; t = performance.now();
  await sql(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
  const witness = performance.now() - t;
  await waitForState(b, "SYNCHRONIZED", "Sales", "CONNECTED");
  const inserts: number[] = [];
  for (let i = 0; i < 50; i++) {
    t = performance.now();
    await sql(a, `INSERT INTO Sales.dbo.orders VALUES (${100 + i}, N'x')`);
    await waitForState(a, "SYNCHRONIZED");
    inserts.push(performance.now() - t);
  }
  inserts.sort((x, y) => x - y);
  t = performance.now();
  await sql(a, "ALTER DATABASE Sales SET PARTNER FAILOVER");
  const failover = performance.now() - t;
  await waitForState(a, "SYNCHRONIZED");
  t = performance.now();
  await b.instance.stop();
  while ((await mirroringRow(a))["mirroring_role_desc"] !== "PRINCIPAL") await new Promise((r) => setTimeout(r, 5));
  const auto = performance.now() - t;
  console.log(JSON.stringify({ mirrorStep, principalStep, sync, witness, insertToSynchronizedMedian: inserts[25], p95: inserts[47], failover, auto }));
});
