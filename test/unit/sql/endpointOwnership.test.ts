import { describe, expect, it } from "vitest";
import type { EndpointGrantRecord } from "../../../provider/sql/records";
import { buildTransferEndpointOwnership, planOwnershipTransfer } from "../../../provider/sql/statements/endpointOwnership";

const grant = (grantee: string, permission: EndpointGrantRecord["permission"], state: EndpointGrantRecord["state"], grantor: string | null = "sa", grantorIsSysadmin = grantor === "sa"): EndpointGrantRecord => ({
  grantee,
  grantor,
  grantorIsSysadmin,
  permission,
  type: { CONNECT: "CO", ALTER: "AL", CONTROL: "CL", "TAKE OWNERSHIP": "TO", "VIEW DEFINITION": "VW" }[permission],
  state,
});

describe("planOwnershipTransfer", () => {
  it("puts back every grant, deny and WITH GRANT OPTION as found, with the connecting login's own rows first", () => {
    const plan = planOwnershipTransfer([grant("peer_a", "CONNECT", "G"), grant("peer_b", "CONNECT", "D"), grant("peer_c", "CONNECT", "W"), grant("public", "VIEW DEFINITION", "G")], "new_owner", "sa");
    expect(plan.reapply).toEqual([
      { grantee: "peer_a", permission: "CONNECT", state: "G", grantor: "sa", grantorPreserved: true },
      { grantee: "peer_b", permission: "CONNECT", state: "D", grantor: "sa", grantorPreserved: true },
      { grantee: "peer_c", permission: "CONNECT", state: "W", grantor: "sa", grantorPreserved: true },
      { grantee: "public", permission: "VIEW DEFINITION", state: "G", grantor: "sa", grantorPreserved: true },
    ]);
    expect(plan.notReapplied).toEqual([]);
  });

  it("keeps a grantor that can still grant: a sysadmin, the new owner, a holder of WITH GRANT OPTION or CONTROL put back first", () => {
    const plan = planOwnershipTransfer(
      [
        grant("peer_x", "CONNECT", "G", "peer_w", false), // peer_w's WITH GRANT OPTION comes later in the list
        grant("peer_w", "CONNECT", "W", "admin2", true),
        grant("peer_y", "ALTER", "G", "new_owner", false),
        grant("peer_z", "VIEW DEFINITION", "D", "peer_ctl", false),
        grant("peer_ctl", "CONTROL", "G"),
      ],
      "new_owner",
      "sa",
    );
    expect(plan.reapply.map((r) => [r.grantee, r.grantor, r.grantorPreserved])).toEqual([
      ["peer_w", "admin2", true],
      ["peer_y", "new_owner", true],
      ["peer_ctl", "sa", true],
      ["peer_x", "peer_w", true],
      ["peer_z", "peer_ctl", true],
    ]);
  });

  it("a grantor that loses its right (the old owner, or a WITH GRANT OPTION on another permission) is replaced by the connecting login", () => {
    const plan = planOwnershipTransfer([grant("peer_a", "CONNECT", "G", "old_owner", false), grant("peer_b", "ALTER", "G", "peer_c", false), grant("peer_c", "CONNECT", "W"), grant("peer_d", "CONNECT", "G", null, false)], "new_owner", "sa");
    expect(plan.reapply.map((r) => [r.grantee, r.grantor, r.grantorPreserved])).toEqual([
      ["peer_c", "sa", true],
      ["peer_a", "sa", false],
      ["peer_b", "sa", false],
      ["peer_d", "sa", false],
    ]);
  });

  it("does not put back what SQL Server refuses or what grants nothing: the new owner's rows, the connecting login's, revoked rows", () => {
    const plan = planOwnershipTransfer([grant("NEW_OWNER", "CONNECT", "G"), grant("deployer", "CONNECT", "G"), grant("peer_a", "CONNECT", "R")], "new_owner", "deployer");
    expect(plan.reapply).toEqual([]);
    expect(plan.notReapplied.map((n) => [n.grant.grantee, n.reason])).toEqual([
      ["NEW_OWNER", "the grantee becomes the owner, which holds every permission on the endpoint (4624)"],
      ["deployer", "the grantee is the connecting login, which cannot grant to itself (4624)"],
      ["peer_a", "a revoked row grants nothing"],
    ]);
  });
});

describe("buildTransferEndpointOwnership", () => {
  it("guards on the permissions read (count and each row), quotes every name, parameterises the guard", () => {
    const grants = [grant("pe]er", "CONNECT", "W"), grant("peer_b", "CONNECT", "G", "pe]er", false)];
    const plan = planOwnershipTransfer(grants, "own]er", "sa");
    const s = buildTransferEndpointOwnership(65536, "hadr]", "own]er", grants, plan, "sa");
    expect(s.sql).toBe(
      "IF (SELECT COUNT(*) FROM master.sys.server_permissions AS p WHERE p.class = 105 AND p.major_id = @endpointId) = @grantCount AND NOT EXISTS (SELECT 1 FROM master.sys.server_permissions AS p WHERE p.class = 105 AND p.major_id = @endpointId AND NOT (" +
        "(SUSER_NAME(p.grantee_principal_id) = @grantee0 AND SUSER_NAME(p.grantor_principal_id) = @grantor0 AND p.type = @type0 AND p.state = @state0) OR " +
        "(SUSER_NAME(p.grantee_principal_id) = @grantee1 AND SUSER_NAME(p.grantor_principal_id) = @grantor1 AND p.type = @type1 AND p.state = @state1))) " +
        "BEGIN ALTER AUTHORIZATION ON ENDPOINT::[hadr]]] TO [own]]er]; GRANT CONNECT ON ENDPOINT::[hadr]]] TO [pe]]er] WITH GRANT OPTION; GRANT CONNECT ON ENDPOINT::[hadr]]] TO [peer_b] AS [pe]]er]; END",
    );
    expect(s.params).toEqual({
      endpointId: { type: "int", value: 65536 },
      grantCount: { type: "int", value: 2 },
      grantee0: { type: "nvarchar", value: "pe]er" },
      grantor0: { type: "nvarchar", value: "sa" },
      type0: { type: "nvarchar", value: "CO" },
      state0: { type: "nvarchar", value: "W" },
      grantee1: { type: "nvarchar", value: "peer_b" },
      grantor1: { type: "nvarchar", value: "pe]er" },
      type1: { type: "nvarchar", value: "CO" },
      state1: { type: "nvarchar", value: "G" },
    });
  });

  it("with no permissions: transfers only while there still are none", () => {
    const s = buildTransferEndpointOwnership(65536, "hadr", "o", [], planOwnershipTransfer([], "o", "sa"), "sa");
    expect(s.sql).toContain("AND NOT (1 = 0)) BEGIN ALTER AUTHORIZATION ON ENDPOINT::[hadr] TO [o]; END");
  });
});
