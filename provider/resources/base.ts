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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * `props`, after checking that no plain string in it holds an unpaired UTF-16 surrogate. Pulumi
 * carries strings as UTF-8, where such a character arrives as U+FFFD: the provider would create an
 * object under another name than the one declared, and could not tell. Values not known yet
 * (Outputs) are checked by nothing here; the common source of them, stack config, is UTF-8 already.
 */
function withoutLoneSurrogates(kind: string, name: string, props: Record<string, unknown>): Record<string, unknown> {
  const visit = (value: unknown, path: string): void => {
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) {
        throw new Error(
          `${kind} '${name}': ${path} contains an unpaired UTF-16 surrogate, which Pulumi cannot carry (it would arrive as U+FFFD, changing the value); remove it`,
        );
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [k, v] of Object.entries(value)) visit(v, path === "" ? k : `${path}.${k}`);
    }
  };
  visit(props, "");
  return props;
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
      withoutLoneSurrogates(kind, name, props),
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secretOutputs],
      },
      DYNAMIC_MODULE,
      kind,
    );
  }
}
