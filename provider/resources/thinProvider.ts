/**
 * The only code that Pulumi serializes into each resource's state (`__provider`).
 *
 * A dynamic resource's provider is closure-serialized into the stack state, and `refresh` and
 * `destroy` run the serialized copy. If that copy were the real implementation, every package
 * upgrade would show a diff on every resource and old code would keep running against new state.
 * So the serialized object only names its resource kind and forwards each call to this package
 * as installed next to the program: upgrading the package upgrades the behaviour of existing
 * stacks, and the stored text never changes.
 *
 * DO NOT EDIT the functions below: their source text is part of every user's state. Changing a
 * single character makes `pulumi preview` show `__provider` changes on existing resources.
 * `test/provider/serialized.test.ts` pins the serialized text (`loginProvider.golden.txt`).
 */
import type * as pulumi from "@pulumi/pulumi";

/** Builds the forwarding provider for one resource kind (e.g. "Certificate"). */
export function thinProvider(kind: string): pulumi.dynamic.ResourceProvider {
  return {
    check: (olds, news) => require("pulumi-mssql-mirroring").__dynamicProvider(kind).check(olds, news),
    diff: (id, olds, news) => require("pulumi-mssql-mirroring").__dynamicProvider(kind).diff(id, olds, news),
    create: (inputs) => require("pulumi-mssql-mirroring").__dynamicProvider(kind).create(inputs),
    read: (id, props) => require("pulumi-mssql-mirroring").__dynamicProvider(kind).read(id, props),
    update: (id, olds, news) => require("pulumi-mssql-mirroring").__dynamicProvider(kind).update(id, olds, news),
    delete: (id, props) => require("pulumi-mssql-mirroring").__dynamicProvider(kind).delete(id, props),
  };
}
