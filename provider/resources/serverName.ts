/**
 * `ServerName`: an instance's `@@SERVERNAME`, read once and kept in state. Availability replicas
 * are named by it (`REPLICA ON N'<@@SERVERNAME>'`), and a program rarely knows it: a container's
 * is its random host name, a cloned VM's may be its template's. Reading it at create time and
 * keeping it means `pulumi preview` of an unchanged stack still sends no request, and
 * `pulumi refresh` shows a renamed instance as drift.
 */
import * as pulumi from "@pulumi/pulumi";
import { conflictError, readServerName } from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, diffResult, objectId, withoutProvider, type Props } from "./lifecycle";

/** Arguments of {@link ServerName}. */
export interface ServerNameArgs {
  /** The instance. Changing server or port reads the new instance's name (a replacement; nothing on SQL Server changes). */
  connection: ConnectionArgs;
}

/** An instance's `@@SERVERNAME`, read at create time and at refresh. Creates and deletes nothing on SQL Server. */
export class ServerName extends MssqlResource {
  /** `@@SERVERNAME`: the name availability replicas of this instance go by. */
  declare readonly serverName: pulumi.Output<string>;

  constructor(name: string, args: ServerNameArgs, opts?: pulumi.CustomResourceOptions) {
    super("ServerName", name, { connection: connectionInput(args.connection), serverName: undefined }, opts);
  }
}

/** Reads `@@SERVERNAME`, refusing an instance without one (SQL Server then cannot host a replica). */
async function serverNameOf(props: Props): Promise<string> {
  const client = clientFor(props.connection);
  const name = await readServerName(client);
  if (name === null || name.trim() === "") {
    throw conflictError(
      { operation: "read", objectType: "@@SERVERNAME", target: client.target },
      "ENOSERVERNAME",
      "it is NULL, so the instance cannot host an availability replica: register its name (EXEC sp_addserver N'<host name>', 'local') and restart SQL Server",
    );
  }
  return name;
}

/** The provider behind {@link ServerName}. */
export const serverNameProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    return { inputs: { ...news, connection }, failures: c.failures };
  },

  async diff(_id, olds: Props, news: Props) {
    return diffResult(olds, news, [], []);
  },

  async create(inputs: Props) {
    return { id: objectId(inputs.connection, "server-name"), outs: { ...withoutProvider(inputs), serverName: await serverNameOf(inputs) } };
  },

  async read(id, props: Props) {
    return { id, props: { ...withoutProvider(props), serverName: await serverNameOf(props) } };
  },

  async update(_id, olds: Props, news: Props) {
    // Only credentials or TLS settings changed (a new instance is a replacement): nothing to read.
    return { outs: { ...withoutProvider(news), serverName: olds.serverName } };
  },

  async delete() {
    // Nothing was created on SQL Server.
  },
};
