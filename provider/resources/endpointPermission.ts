/** `EndpointPermission`: `GRANT CONNECT ON ENDPOINT` to the login that stands for a peer. */
import * as pulumi from "@pulumi/pulumi";
import { grantEndpointConnect, readEndpointPermission, revokeEndpointConnect, type EndpointPermissionRecord } from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, diffResult, GONE, objectId, withoutProvider, type Props } from "./lifecycle";

/** Arguments of {@link EndpointPermission}. */
export interface EndpointPermissionArgs {
  /** The instance. Changing server or port replaces the grant. */
  connection: ConnectionArgs;
  /** Endpoint name (`ENDPOINT::<endpoint>`). Changing it replaces the grant. */
  endpoint: pulumi.Input<string>;
  /** Grantee login. Changing it replaces the grant. */
  login: pulumi.Input<string>;
}

/** CONNECT on a DATABASE_MIRRORING endpoint for one login. */
export class EndpointPermission extends MssqlResource {
  /** `sys.server_permissions.state_desc`: `GRANT`, `GRANT_WITH_GRANT_OPTION`, or `DENY` / `REVOKE` after out-of-band drift. */
  declare readonly state: pulumi.Output<string>;

  constructor(name: string, args: EndpointPermissionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "EndpointPermission",
      name,
      { connection: connectionInput(args.connection), endpoint: args.endpoint, login: args.login, state: undefined },
      opts,
    );
  }
}

const STATE_DESC: Record<EndpointPermissionRecord["state"], string> = { G: "GRANT", W: "GRANT_WITH_GRANT_OPTION", D: "DENY", R: "REVOKE" };

/** Drift: a DENY (or a revoked row, which grants nothing) put in place out of band, which the GRANT replaces. */
function denied(state: Props): boolean {
  return state.state === "DENY" || state.state === "REVOKE";
}

function specOf(props: Props) {
  return { endpointName: props.endpoint as string, loginName: props.login as string };
}

/** GRANT CONNECT, kept in state as pending when its outcome is unknown. */
async function grant(id: string, inputs: Props, resumed: boolean): Promise<Record<string, unknown>> {
  return createKeepingPending(id, { ...inputs }, async () => {
    const { record } = await grantEndpointConnect(clientFor(inputs.connection), specOf(inputs), { resumed });
    return { ...withoutProvider(inputs), state: STATE_DESC[record.state] };
  });
}

/** The provider behind {@link EndpointPermission}. */
export const endpointPermissionProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const endpoint = c.sysname("endpoint", { required: true });
    const login = c.sysname("login", { required: true, login: true });
    return { inputs: { ...news, connection, endpoint, login }, failures: c.failures };
  },

  async diff(_id, olds: Props, news: Props) {
    const replaces = ["endpoint", "login"].filter((k) => news[k] !== olds[k]);
    return diffResult(olds, news, replaces, denied(olds) ? ["state"] : []);
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "endpoint-permission", inputs.endpoint as string, inputs.login as string);
    return { id, outs: await grant(id, inputs, false) };
  },

  async read(id, props: Props) {
    const record = await readEndpointPermission(clientFor(props.connection), specOf(props));
    if (record === undefined) return GONE;
    return { id, props: { ...withoutProvider(props), state: STATE_DESC[record.state] } };
  },

  async update(id, olds: Props, news: Props) {
    // An earlier create lost its reply: GRANT again (it changes nothing if the first one ran).
    if (olds[CREATE_PENDING] === true) return { outs: await grant(id, news, true) };
    // Only connection settings changed: nothing for SQL Server to do.
    if (!denied(olds)) return { outs: { ...withoutProvider(news), state: olds.state } };
    const { record } = await grantEndpointConnect(clientFor(news.connection), specOf(news));
    return { outs: { ...withoutProvider(news), state: STATE_DESC[record.state] } };
  },

  async delete(_id, props: Props) {
    await revokeEndpointConnect(clientFor(props.connection), specOf(props));
  },
};
