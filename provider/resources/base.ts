/**
 * What every dynamic resource of this package shares: registration under its own type token,
 * the thin serialized provider, and secret handling.
 */
import * as pulumi from "@pulumi/pulumi";
import { thinProvider } from "./thinProvider";

/** Module part of every dynamic resource's type token: `pulumi-nodejs:dynamic/mssql-mirroring:<Kind>`. */
export const DYNAMIC_MODULE = "mssql-mirroring";

// One provider object per kind: the SDK caches serialization per provider identity, so resources of
// the same kind serialize once per program instead of once per resource.
const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

function providerFor(kind: string): pulumi.dynamic.ResourceProvider {
  let p = providers.get(kind);
  if (!p) {
    p = thinProvider(kind);
    providers.set(kind, p);
  }
  return p;
}

/**
 * Base class of the package's dynamic resources.
 *
 * `props` must list every output key (with `undefined` for computed ones): the SDK only creates
 * `Output` properties for keys present in `props`. Subclasses declare those outputs with
 * `declare readonly` so class-field initialisation does not overwrite them.
 */
export abstract class MssqlResource extends pulumi.dynamic.Resource {
  protected constructor(
    kind: string,
    name: string,
    props: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions | undefined,
    secretOutputs: string[] = [],
  ) {
    super(
      providerFor(kind),
      name,
      props,
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secretOutputs],
      },
      DYNAMIC_MODULE,
      kind,
    );
  }
}
