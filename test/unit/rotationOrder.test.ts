/**
 * RotationOrder for MirroringInstance + PeerTrust composed by hand (under the SDK's mocks): each
 * endpoint waits for exactly the imports of its own certificate, and misuse fails loudly.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks } from "./support/registrations";

beforeAll(installMocks);

const connection = (server: string) => ({ server, user: "sa", password: "Sa-Passw0rd!" });

describe("RotationOrder", () => {
  it("each hand-made endpoint waits for every PeerTrust that imports its certificate, and only those", async () => {
    const { MirroringInstance } = await import("../../provider/components/mirroringInstance");
    const { PeerTrust } = await import("../../provider/components/peerTrust");
    const { RotationOrder } = await import("../../provider/components/rotationOrder");
    const { forgetInstanceClaims } = await import("../../provider/components/instanceClaims");
    forgetInstanceClaims();
    const options = new Map<string, pulumi.ResourceOptions>();
    const capture: pulumi.ResourceTransformation = (args) => {
      options.set(args.name, args.opts);
      return undefined;
    };
    const order = new RotationOrder(["a", "b", "c"]);
    const inst = (n: string) =>
      new MirroringInstance(n, { connection: connection(`${n}.corp`), masterKeyPassword: "Mk-Passw0rd!", role: "ALL", endpointDependsOn: order.endpointDependsOn(n) }, { transformations: [capture] });
    const [a, b, c] = [inst("a"), inst("b"), inst("c")];
    const trust = (receiver: string, on: typeof a, peer: string, of: typeof a) => new PeerTrust(`${receiver}-trusts-${peer}`, { connection: connection(`${receiver}.corp`), endpointName: on.endpoint.name, peerName: peer, publicKey: of.publicKey });
    const aTrustsB = trust("a", a, "b", b);
    const cTrustsB = trust("c", c, "b", b);
    const bTrustsA = trust("b", b, "a", a);
    order.imported("b", aTrustsB);
    order.imported("b", cTrustsB);
    order.imported("a", bTrustsA);
    order.seal();
    const deps = async (n: string) => await (options.get(`${n}-endpoint`)!.dependsOn as Promise<pulumi.Resource[]>);
    expect(await deps("b")).toEqual([aTrustsB.certificate, cTrustsB.certificate]);
    expect(await deps("a")).toEqual([bTrustsA.certificate]);
    expect(await deps("c")).toEqual([]);
    expect(() => order.imported("a", bTrustsA)).toThrow("RotationOrder: imported() after seal(): declare every PeerTrust before sealing");
    expect(() => order.endpointDependsOn("z")).toThrow("RotationOrder: 'z' is not one of its instances (a, b, c)");
  });
});
