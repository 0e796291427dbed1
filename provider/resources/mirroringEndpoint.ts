/**
 * `MirroringEndpoint`: the instance's one DATABASE_MIRRORING endpoint (database mirroring and
 * Always On availability groups), authenticating with a certificate.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  createEndpoint,
  dropEndpoint,
  ENDPOINT_MANAGED_ELSEWHERE,
  endpointChanges,
  endpointSpecFromRecord,
  parseListenerAddress,
  readEndpoint,
  readMirroringEndpoint,
  updateEndpoint,
  type EndpointRecord,
  type EndpointSpec,
} from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, differs, diffResult, GONE, ObjectExistsError, objectId, refreshedInputs, withoutProvider, type Props } from "./lifecycle";
import { isUnknown } from "./unknown";

/** `STATE` of an endpoint. */
export type EndpointState = "STARTED" | "STOPPED" | "DISABLED";
/** `ROLE` of a DATABASE_MIRRORING endpoint. */
export type EndpointRole = "PARTNER" | "WITNESS" | "ALL";
/** `ENCRYPTION` of a DATABASE_MIRRORING endpoint. */
export type EndpointEncryption = "REQUIRED" | "SUPPORTED" | "DISABLED";
/** `ALGORITHM` of a DATABASE_MIRRORING endpoint. */
export type EncryptionAlgorithm = "AES" | "RC4" | "AES RC4" | "RC4 AES";

/** Arguments of {@link MirroringEndpoint}. */
export interface MirroringEndpointArgs {
  /** The instance. Changing server or port replaces the endpoint. */
  connection: ConnectionArgs;
  /** `CREATE ENDPOINT <name>`. Default `hadr_endpoint`. Changing it drops the endpoint, then creates the new one (one per instance). */
  name?: pulumi.Input<string>;
  /** `LISTENER_PORT`. Default 5022. Updated in place. */
  port?: pulumi.Input<number>;
  /** `LISTENER_IP`: `ALL` (default), an IPv4 or an IPv6 address. Updated in place. */
  listenerIp?: pulumi.Input<string>;
  /** `AUTHENTICATION = CERTIFICATE <certificateName>`: a DMK-protected certificate in master. Updated in place (rotation). */
  certificateName: pulumi.Input<string>;
  /** `ENCRYPTION`. Default `REQUIRED`. Updated in place. */
  encryption?: pulumi.Input<EndpointEncryption>;
  /** `ALGORITHM`. Default `AES`; ignored when encryption is `DISABLED`. Updated in place. */
  algorithm?: pulumi.Input<EncryptionAlgorithm>;
  /** `ROLE`: `PARTNER` and `WITNESS` for database mirroring, `ALL` (default) for availability groups. Updated in place. */
  role?: pulumi.Input<EndpointRole>;
  /** `STATE`. Default `STARTED`. Updated in place. */
  state?: pulumi.Input<EndpointState>;
  /** `AUTHORIZATION <login>`: the owning login. Default: the connecting login. Changed with `ALTER AUTHORIZATION`. */
  owner?: pulumi.Input<string>;
  /** Host name peers use to reach this endpoint, for {@link MirroringEndpoint.url}. Default `connection.server`. */
  endpointHost?: pulumi.Input<string>;
  /**
   * Manage the instance's existing DATABASE_MIRRORING endpoint instead of failing with 7862. Its
   * original configuration is recorded and put back on destroy. Default `false`.
   */
  adopt?: pulumi.Input<boolean>;
}

/** The instance's DATABASE_MIRRORING endpoint. */
export class MirroringEndpoint extends MssqlResource {
  /** `sys.endpoints.endpoint_id`. */
  declare readonly endpointId: pulumi.Output<number>;
  /** Endpoint name. */
  declare readonly name: pulumi.Output<string>;
  /** `sys.tcp_endpoints.port`. */
  declare readonly port: pulumi.Output<number>;
  /** `TCP://<endpointHost>:<port>`: the address partners and replicas use. */
  declare readonly url: pulumi.Output<string>;
  /** `sys.endpoints.state_desc`. */
  declare readonly state: pulumi.Output<string>;
  /** `sys.database_mirroring_endpoints.role_desc`. */
  declare readonly role: pulumi.Output<string>;
  /** Certificate the endpoint authenticates with. */
  declare readonly certificateName: pulumi.Output<string>;
  /** Owning login (`SUSER_NAME(principal_id)`). */
  declare readonly owner: pulumi.Output<string>;
  /** True when this stack adopted an existing endpoint (it is restored, not dropped, on destroy). */
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: MirroringEndpointArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "MirroringEndpoint",
      name,
      {
        connection: connectionInput(args.connection),
        name: args.name,
        port: args.port,
        listenerIp: args.listenerIp,
        certificateName: args.certificateName,
        encryption: args.encryption,
        algorithm: args.algorithm,
        role: args.role,
        state: args.state,
        owner: args.owner,
        endpointHost: args.endpointHost,
        adopt: args.adopt,
        endpointId: undefined,
        url: undefined,
        adopted: undefined,
      },
      opts,
    );
  }
}

/** Default endpoint name (the name SQL Server's availability-group wizard uses). */
export const DEFAULT_ENDPOINT_NAME = "hadr_endpoint";
/** Default `LISTENER_PORT`. */
export const DEFAULT_ENDPOINT_PORT = 5022;
const STATES = ["STARTED", "STOPPED", "DISABLED"] as const;
const ROLES = ["PARTNER", "WITNESS", "ALL"] as const;
const ENCRYPTIONS = ["REQUIRED", "SUPPORTED", "DISABLED"] as const;
const ALGORITHMS = ["AES", "RC4", "AES RC4", "RC4 AES"] as const;

/** The endpoint the inputs describe, as the SQL layer takes it. */
function specOf(inputs: Props, keepWindows?: EndpointSpec): EndpointSpec {
  return {
    name: inputs.name as string,
    ...(inputs.owner !== undefined ? { owner: inputs.owner as string } : {}),
    state: inputs.state as EndpointState,
    port: inputs.port as number,
    listenerIp: inputs.listenerIp as string,
    certificateName: inputs.certificateName as string,
    // An adopted endpoint keeps the Windows authentication its other partners may rely on.
    ...(keepWindows?.windowsAuthentication ? { windowsAuthentication: keepWindows.windowsAuthentication, windowsFirst: keepWindows.windowsFirst } : {}),
    encryption: inputs.encryption as EndpointEncryption,
    ...(inputs.encryption === "DISABLED" ? {} : { algorithm: inputs.algorithm as EncryptionAlgorithm }),
    role: inputs.role as EndpointRole,
  };
}

/** What the outputs take from the catalog: a fresh record, or the values state kept from the last one. */
type EndpointView = Pick<EndpointRecord, "name" | "endpointId" | "port" | "ipAddress" | "certificateName" | "encryption" | "algorithm" | "role" | "state" | "owner">;

/** The catalog values recorded in state by the last create, read or update. */
function viewFromState(state: Props): EndpointView {
  return {
    name: state.name as string,
    endpointId: state.endpointId as number,
    port: state.port as number,
    ipAddress: state.listenerIp === "ALL" ? null : (state.listenerIp as string),
    certificateName: state.certificateName as string | null,
    encryption: state.encryption as EndpointEncryption,
    algorithm: state.encryption === "DISABLED" ? null : (state.algorithm as EncryptionAlgorithm),
    role: state.role as EndpointView["role"],
    state: state.state as EndpointState,
    owner: state.owner as string | null,
  };
}

/**
 * The properties whose change needs an ALTER. `owner` left unset means "whoever owns it", and the
 * algorithm of an endpoint that does not encrypt is moot; `endpointHost` never reaches SQL Server.
 */
function alteredProperties(olds: Props, news: Props): string[] {
  const altered = ["port", "listenerIp", "certificateName", "encryption", "role", "state", "owner"].filter((key) => differs(news[key], olds[key]));
  if (news.encryption !== "DISABLED" && differs(news.algorithm, olds.algorithm)) altered.push("algorithm");
  return altered;
}

/** The catalog's `ip_address` as the program writes it: `ALL` for NULL, IPv6 in canonical form (what check stores). */
function listenerIpOf(ipAddress: string | null): string {
  if (ipAddress === null) return "ALL";
  const parsed = parseListenerAddress(ipAddress);
  return typeof parsed === "string" || parsed.kind === "all" ? ipAddress : parsed.address;
}

function outputs(inputs: Props, record: EndpointView, adopted: boolean, original: EndpointSpec | undefined): Props {
  const host = (inputs.endpointHost as string | undefined) ?? inputs.connection.server;
  return {
    ...(withoutProvider(inputs) as Props),
    name: record.name,
    endpointId: record.endpointId,
    port: record.port,
    listenerIp: listenerIpOf(record.ipAddress),
    certificateName: record.certificateName,
    encryption: record.encryption,
    // With encryption DISABLED the catalog has no algorithm; keep the declared one so diffs stay quiet.
    algorithm: record.algorithm ?? inputs.algorithm,
    role: record.role,
    state: record.state,
    owner: record.owner,
    url: `TCP://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${record.port}`,
    adopted,
    ...(original !== undefined ? { original } : {}),
  };
}

/**
 * Creates the endpoint, or (adopt) takes over the existing one, recording its original settings
 * first. `adoptedOriginal`: an earlier adoption of this resource lost its reply; its recorded
 * original stands (the endpoint may already be half-altered). A `resumed` create (an earlier one
 * lost its reply) takes an endpoint in place only when it matches the spec exactly.
 */
async function createOrAdopt(id: string, inputs: Props, resumed: boolean, adoptedOriginal: EndpointSpec | undefined): Promise<Props> {
  const client = clientFor(inputs.connection);
  const name = inputs.name as string;
  return createKeepingPending(id, { ...inputs }, async (created) => {
    if (inputs.adopt) {
      const existing = await readMirroringEndpoint(client);
      if (existing !== undefined) {
        if (existing.name !== name) {
          throw new Error(
            `unable to adopt the mirroring endpoint on ${client.target}: it is named [${existing.name}], not [${name}]; set name: ${JSON.stringify(existing.name)}`,
          );
        }
        const original = adoptedOriginal ?? endpointSpecFromRecord(existing);
        // From here on destroy must put the original back, whatever happens to the ALTER.
        created({ ...inputs, adopted: true, original, [CREATE_PENDING]: true });
        const record = await updateEndpoint(client, existing, specOf(inputs, original));
        return outputs(inputs, record, true, original);
      }
    }
    const { record, existedBefore } = await createEndpoint(client, specOf(inputs), { resumed });
    if (existedBefore) {
      // Never just "set adopt: true": when another declaration of a stack made it, adopting it is an outage.
      throw new ObjectExistsError("mirroring endpoint", name, client.target, `i${ENDPOINT_MANAGED_ELSEWHERE.slice(1)}. Only for an endpoint made outside Pulumi: set adopt: true to manage it (its settings are restored on destroy)`);
    }
    return outputs(inputs, record, false, undefined);
  });
}

/** The provider behind {@link MirroringEndpoint}. */
export const mirroringEndpointProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const name = c.sysname("name", { default: DEFAULT_ENDPOINT_NAME });
    if (typeof name === "string" && name.startsWith("##")) c.fail("name", "must not start with ##: SQL Server reserves that prefix for system endpoints (7869)");
    const port = c.port("port", DEFAULT_ENDPOINT_PORT);
    const listenerIp = c.listenerIp("listenerIp");
    const certificateName = c.sysname("certificateName", { required: true });
    const encryption = c.oneOf("encryption", ENCRYPTIONS, "REQUIRED");
    const algorithm = c.oneOf("algorithm", ALGORITHMS, "AES");
    const role = c.oneOf("role", ROLES, "ALL");
    const state = c.oneOf("state", STATES, "STARTED");
    const owner = c.sysname("owner", { login: true });
    const adopt = c.boolean("adopt", false);
    if (news.endpointHost !== undefined && !isUnknown(news.endpointHost) && (typeof news.endpointHost !== "string" || news.endpointHost.trim() === "")) {
      c.fail("endpointHost", "must be the host name peers use to reach this instance");
    }
    return {
      inputs: { ...news, connection, name, port, listenerIp, certificateName, encryption, algorithm, role, state, adopt, ...(owner !== undefined ? { owner } : {}) },
      failures: c.failures,
    };
  },

  async diff(_id, olds: Props, news: Props) {
    const updates = alteredProperties(olds, news);
    // Unlike the catalog-backed properties, an unset endpointHost has a meaning: connection.server.
    if (news.endpointHost !== olds.endpointHost) updates.push("endpointHost");
    const replaces = news.name !== olds.name ? ["name"] : [];
    // One DATABASE_MIRRORING endpoint per instance: the old one must go before the new one exists.
    return diffResult(olds, news, replaces, updates, true);
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "endpoint", inputs.name as string);
    return { id, outs: await createOrAdopt(id, inputs, false, undefined) };
  },

  async read(id, props: Props) {
    const record = await readEndpoint(clientFor(props.connection), props.name as string);
    if (record === undefined) return GONE;
    const outs = outputs(props, record, props.adopted === true, props.original as EndpointSpec | undefined);
    // The owner is left out: the catalog always names one, the program rarely does.
    const keys = ["connection", "name", "port", "listenerIp", "certificateName", "encryption", "algorithm", "role", "state", "endpointHost", "adopt"];
    return { id, props: outs, inputs: refreshedInputs(outs, keys) };
  },

  async update(id, olds: Props, news: Props) {
    const original = olds.original as EndpointSpec | undefined;
    // An earlier create or adoption lost its reply: finish it (an adoption keeps the original it recorded).
    if (olds[CREATE_PENDING] === true) return { outs: await createOrAdopt(id, news, true, olds.adopted === true ? original : undefined) };
    // Only the URL or connection settings changed: nothing for SQL Server to do.
    if (alteredProperties(olds, news).length === 0) return { outs: outputs(news, viewFromState(olds), olds.adopted === true, original) };
    const client = clientFor(news.connection);
    const current = await readEndpoint(client, news.name as string);
    if (current === undefined) {
      throw new Error(`mirroring endpoint [${String(news.name)}] on ${client.target} no longer exists; run pulumi refresh, then pulumi up to recreate it`);
    }
    const record = await updateEndpoint(client, current, specOf(news, original));
    return { outs: outputs(news, record, olds.adopted === true, original) };
  },

  async delete(_id, props: Props) {
    const client = clientFor(props.connection);
    const original = props.original as EndpointSpec | undefined;
    if (props[CREATE_PENDING] === true && props.adopted !== true) {
      // A pending create's endpoint is dropped only if it is exactly the one it would have made.
      const record = await readEndpoint(client, props.name as string);
      if (record === undefined || endpointChanges(record, specOf(props)).length > 0) return;
    }
    if (props.adopted && original !== undefined) {
      // Put an adopted endpoint back exactly as it was found.
      const current = await readEndpoint(client, original.name);
      if (current !== undefined) await updateEndpoint(client, current, original);
      return;
    }
    await dropEndpoint(client, props.name as string);
  },
};
