/** `User`: a database user in `master` for a login; it owns the peer's certificate. */
import * as pulumi from "@pulumi/pulumi";
import { createUser, dropUser, readUser, updateUser, type UserRecord } from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, diffResult, GONE, ObjectExistsError, objectId, refreshedInputs, withoutProvider, type Props } from "./lifecycle";

/** Arguments of {@link User}. */
export interface UserArgs {
  /** The instance. Changing server or port replaces the user. */
  connection: ConnectionArgs;
  /** `CREATE USER <name>` in master. Changing it replaces the user. */
  name: pulumi.Input<string>;
  /** `FOR LOGIN <login>`. Changing it remaps the user in place (`ALTER USER … WITH LOGIN`). */
  login: pulumi.Input<string>;
}

/** A user in `master` mapped to a login. */
export class User extends MssqlResource {
  /** User name. */
  declare readonly name: pulumi.Output<string>;
  /** Login the user maps to (by SID). */
  declare readonly login: pulumi.Output<string>;
  /** `sys.database_principals.principal_id`. */
  declare readonly principalId: pulumi.Output<number>;

  constructor(name: string, args: UserArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "User",
      name,
      { connection: connectionInput(args.connection), name: args.name, login: args.login, principalId: undefined },
      opts,
    );
  }
}

function outputs(inputs: Props, record: Pick<UserRecord, "name" | "loginName" | "principalId">): Props {
  // `login` is what the user maps to now: null for an orphaned user (its login was dropped).
  return { ...(withoutProvider(inputs) as Props), name: record.name, login: record.loginName, principalId: record.principalId };
}

/** Creates the user; `resumed`: an earlier create of this resource may have made it. */
async function createOwnUser(id: string, inputs: Props, resumed: boolean): Promise<Props> {
  const client = clientFor(inputs.connection);
  return createKeepingPending(id, { ...inputs }, async () => {
    const { record, existedBefore } = await createUser(client, { name: inputs.name as string, loginName: inputs.login as string }, { resumed });
    if (existedBefore) {
      throw new ObjectExistsError("user in master", inputs.name as string, client.target, "drop it or choose another name");
    }
    return outputs(inputs, record);
  });
}

/** The provider behind {@link User}. */
export const userProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const name = c.sysname("name", { required: true });
    const login = c.sysname("login", { required: true, login: true });
    return { inputs: { ...news, connection, name, login }, failures: c.failures };
  },

  async diff(_id, olds: Props, news: Props) {
    // A login has at most one user in a database (15063): a new name for the same login cannot
    // be created beside the old user, which must go first.
    const renamed = news.name !== olds.name;
    return diffResult(olds, news, renamed ? ["name"] : [], news.login !== olds.login ? ["login"] : [], renamed && news.login === olds.login);
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "user", inputs.name as string);
    return { id, outs: await createOwnUser(id, inputs, false) };
  },

  async read(id, props: Props) {
    const record = await readUser(clientFor(props.connection), props.name as string);
    if (record === undefined) return GONE;
    const outs = outputs(props, record);
    return { id, props: outs, inputs: refreshedInputs(outs, ["connection", "name", "login"]) };
  },

  async update(id, olds: Props, news: Props) {
    // An earlier create lost its reply: finish it.
    if (olds[CREATE_PENDING] === true) return { outs: await createOwnUser(id, news, true) };
    if (news.login === olds.login) {
      // Only connection settings changed: nothing for SQL Server to do.
      return { outs: outputs(news, { name: olds.name as string, loginName: olds.login as string, principalId: olds.principalId as number }) };
    }
    const client = clientFor(news.connection);
    const current = await readUser(client, news.name as string);
    if (current === undefined) {
      throw new Error(`user [${String(news.name)}] on ${client.target} no longer exists; run pulumi refresh, then pulumi up to recreate it`);
    }
    const record = await updateUser(client, current, { name: news.name as string, loginName: news.login as string });
    return { outs: outputs(news, record) };
  },

  async delete(_id, props: Props) {
    const client = clientFor(props.connection);
    if (props[CREATE_PENDING] === true) {
      // A pending create's user is dropped only if it maps to this resource's login.
      const record = await readUser(client, props.name as string);
      if (record === undefined || record.loginName !== props.login) return;
    }
    await dropUser(client, props.name as string);
  },
};
