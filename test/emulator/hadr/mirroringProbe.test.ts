import { afterEach, it } from "vitest";
import { mirroringPartnerQuery, mirroringWitnessQuery, seedingStateQuery } from "../../../provider/sql/mirroringCatalog";
import { stopAll } from "./helpers";
import { mirroringTrio, seed, startSession, waitForState } from "./mirroringSupport";
afterEach(stopAll);
it("probe", async () => {
  const { a, b, w } = await mirroringTrio({ witness: true });
  await seed(a, b);
  await startSession(a, b);
  await waitForState(a, "SYNCHRONIZED");
  for (const q of [mirroringPartnerQuery("Sales"), mirroringWitnessQuery("Sales"), seedingStateQuery("Sales")]) {
    for (const n of [a, b, w!]) {
      for (const st of q.statements) {
        const params = Object.entries(st.params ?? {}).map(([name, p]) => ({ name: "@" + name, type: (p as { type: string }).type, value: (p as { value: unknown }).value }));
        const out = await n.sa.execute(st.sql, params as never);
        console.log(n.name, st.sql.slice(0, 60), JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 400));
      }
    }
  }
});
