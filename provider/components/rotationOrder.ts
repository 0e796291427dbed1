/**
 * The order that makes a certificate rotation cut no connection, for any composition of
 * `MirroringInstance` and `PeerTrust`: every instance's endpoint waits for every peer's import of
 * that instance's certificate. On a rotation (a new certificate on Y) the new public key is then
 * imported on every X that accepts Y before Y's endpoint switches to it, and Y's old certificate is
 * dropped last (the replaced certificate is deleted once nothing depends on it any more).
 *
 * The endpoint is declared before the trusts that import its certificate exist (they need its
 * `publicKey`), so its dependencies are a promise resolved once every trust is declared:
 *
 * ```ts
 * const order = new RotationOrder(["a", "b"]);
 * const a = new MirroringInstance("a", { ..., endpointDependsOn: order.endpointDependsOn("a") });
 * const b = new MirroringInstance("b", { ..., endpointDependsOn: order.endpointDependsOn("b") });
 * order.imported("b", new PeerTrust("a-trusts-b", { ..., publicKey: b.publicKey }));
 * order.imported("a", new PeerTrust("b-trusts-a", { ..., publicKey: a.publicKey }));
 * order.seal(); // after the last PeerTrust: every endpoint's dependencies are now known
 * ```
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PeerTrust } from "./peerTrust";

/** Collects, per instance, the imports of its certificate its endpoint must wait for. */
export class RotationOrder {
  private readonly gates = new Map<string, { resolve: (r: pulumi.Resource[]) => void; promise: Promise<pulumi.Resource[]>; imports: pulumi.Resource[] }>();
  private sealed = false;

  /** @param instances the instances (any names that identify them) whose endpoints are ordered */
  constructor(instances: readonly string[]) {
    for (const instance of instances) {
      let resolve!: (r: pulumi.Resource[]) => void;
      const promise = new Promise<pulumi.Resource[]>((r) => (resolve = r));
      this.gates.set(instance, { resolve, promise, imports: [] });
    }
  }

  private gate(instance: string) {
    const gate = this.gates.get(instance);
    if (gate === undefined) throw new Error(`RotationOrder: '${instance}' is not one of its instances (${[...this.gates.keys()].join(", ")})`);
    return gate;
  }

  /** What to pass as `MirroringInstance`'s `endpointDependsOn` for `instance`. */
  endpointDependsOn(instance: string): Promise<pulumi.Resource[]> {
    return this.gate(instance).promise;
  }

  /** Records that `trust` imports `peer`'s certificate (its `publicKey`) somewhere. */
  imported(peer: string, trust: PeerTrust): void {
    if (this.sealed) throw new Error("RotationOrder: imported() after seal(): declare every PeerTrust before sealing");
    this.gate(peer).imports.push(trust.certificate);
  }

  /** Every trust is declared: releases each endpoint's dependencies. Call once, after the last {@link imported}. */
  seal(): void {
    this.sealed = true;
    for (const gate of this.gates.values()) gate.resolve(gate.imports);
  }
}
