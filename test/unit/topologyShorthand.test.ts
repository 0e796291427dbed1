/**
 * The shorthands of MirroringTopology (`replicas` + `availabilityGroup`, `partners` + `witness` +
 * `mirroring`) are sugar over the estate form. Existing stacks must see no change in preview: every
 * resource a shorthand program registers (type, name, parent, inputs) is compared with what the same
 * program registered with the code before the estate form (fixtures/shorthand-registrations.json,
 * written with commit daf174b and never regenerated since).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, registrationsOf, type Registration } from "./support/registrations";
import { SHORTHAND_PROGRAMS } from "./support/shorthandPrograms";

const before = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "shorthand-registrations.json"), "utf8")) as Record<string, Registration[]>;

beforeAll(installMocks);

describe("shorthand programs register what they registered before the estate form", () => {
  it("the snapshot covers every program", () => {
    expect(Object.keys(before).sort()).toEqual(Object.keys(SHORTHAND_PROGRAMS).sort());
  });

  for (const [program, args] of Object.entries(SHORTHAND_PROGRAMS)) {
    it(program, async () => {
      const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
      const now = await registrationsOf((opts) => new MirroringTopology("t", args as never, opts));
      // Names first, so a difference reads as "this resource is new / gone" before the inputs diff.
      expect(now.map((r) => `${r.type} ${r.name} <- ${r.parent}`)).toEqual(before[program]!.map((r) => `${r.type} ${r.name} <- ${r.parent}`));
      expect(now).toEqual(before[program]);
    });
  }
});
