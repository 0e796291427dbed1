/** `Login`: a SQL login that stands for a peer instance's identity on inbound mirroring connections. */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { createLogin, dropLogin, loginHasPassword, readLogin, updateLogin, type LoginRecord } from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, differs, diffResult, GONE, ObjectExistsError, objectId, withoutProvider, type Props } from "./lifecycle";

/** Arguments of {@link Login}. */
export interface LoginArgs {
  /** The instance. Changing server or port replaces the login. */
  connection: ConnectionArgs;
  /** `CREATE LOGIN <name>`. No backslash (SQL logins). Changing it replaces the login. */
  name: pulumi.Input<string>;
  /**
   * `WITH PASSWORD`. Default: 36 random characters generated at create time and then forgotten —
   * nobody logs in with a mirroring login (the certificate authenticates), so the password is in no
   * state and no log. A given one is kept as a secret. Updated in place.
   */
  password?: pulumi.Input<string>;
  /** `CHECK_POLICY`. Default `true` (SQL Server's default). Updated in place. */
  checkPolicy?: pulumi.Input<boolean>;
}

/** A SQL login. */
export class Login extends MssqlResource {
  /** Login name. */
  declare readonly name: pulumi.Output<string>;
  /** `sys.server_principals.principal_id`. */
  declare readonly principalId: pulumi.Output<number>;
  /** `sys.server_principals.sid`, hex. */
  declare readonly sid: pulumi.Output<string>;
  /** The password given in {@link LoginArgs.password} (secret); undefined when it was generated, which is never kept. */
  declare readonly password: pulumi.Output<string | undefined>;
  /** `sys.server_principals.is_disabled`. */
  declare readonly isDisabled: pulumi.Output<boolean>;

  constructor(name: string, args: LoginArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Login",
      name,
      {
        connection: connectionInput(args.connection),
        name: args.name,
        password: args.password === undefined ? undefined : pulumi.secret(args.password),
        checkPolicy: args.checkPolicy,
        principalId: undefined,
        sid: undefined,
        isDisabled: undefined,
      },
      opts,
      ["password"],
    );
  }
}

/**
 * A password nobody needs to know: 32 random URL-safe characters plus one of each class, so it
 * passes any Windows password policy (CHECK_POLICY = ON).
 */
export function generatePassword(): string {
  return `${randomBytes(24).toString("base64url")}Aa1!`;
}

/** What the outputs take from the catalog: a fresh record, or the values state kept from the last one. */
type LoginView = Pick<LoginRecord, "name" | "principalId" | "sid" | "isDisabled" | "checkPolicy">;

/** The properties whose change needs an ALTER LOGIN. No password given means "keep the one in effect". */
function alteredProperties(olds: Props, news: Props): string[] {
  return ["password", "checkPolicy"].filter((key) => differs(news[key], olds[key]));
}

/**
 * The outputs; `password` is kept only when the program gave it. A generated one is forgotten once
 * the login exists: a mirroring login only stands for a peer's certificate, nobody logs in with it,
 * and a password that is nowhere (not in state, not in any log) cannot leak or be used.
 */
function outputs(inputs: Props, record: LoginView, password: string | undefined): Props {
  return {
    ...(withoutProvider(inputs) as Props),
    name: record.name,
    ...(inputs.password !== undefined ? { password } : {}),
    principalId: record.principalId,
    sid: record.sid,
    isDisabled: record.isDisabled,
    checkPolicy: record.checkPolicy ?? inputs.checkPolicy,
  };
}

/** Creates the login with `password`; `resumed`: an earlier create of this resource may have made it (then it must have that password). */
async function createOwnLogin(id: string, inputs: Props, password: string, resumed: boolean): Promise<Props> {
  const client = clientFor(inputs.connection);
  return createKeepingPending(id, { ...inputs, password }, async () => {
    const { record, existedBefore } = await createLogin(client, { name: inputs.name as string, password, checkPolicy: inputs.checkPolicy as boolean }, { resumed });
    if (existedBefore) {
      throw new ObjectExistsError("login", inputs.name as string, client.target, "drop it or choose another name (its password cannot be verified, so it is not taken over)");
    }
    return outputs(inputs, record, password);
  });
}

/** The provider behind {@link Login}. */
export const loginProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const name = c.sysname("name", { required: true, login: true });
    const checkPolicy = c.boolean("checkPolicy", true);
    // CHECK_POLICY = ON (the default) applies SQL Server's password policy; OFF only the 128-character limit.
    const policy = checkPolicy === false ? undefined : { ...(typeof name === "string" ? { accountName: name } : {}) };
    c.password("password", { maxLength: 128, ...(policy !== undefined ? { policy } : {}) });
    return { inputs: { ...news, connection, name, checkPolicy }, failures: c.failures };
  },

  async diff(_id, olds: Props, news: Props) {
    return diffResult(olds, news, news.name !== olds.name ? ["name"] : [], alteredProperties(olds, news));
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "login", inputs.name as string);
    return { id, outs: await createOwnLogin(id, inputs, (inputs.password as string | undefined) ?? generatePassword(), false) };
  },

  async read(id, props: Props) {
    const record = await readLogin(clientFor(props.connection), props.name as string);
    if (record === undefined) return GONE;
    return { id, props: outputs(props, record, props.password as string | undefined) };
  },

  async update(id, olds: Props, news: Props) {
    if (olds[CREATE_PENDING] === true) {
      // An earlier create lost its reply: finish it with the password it used, then apply any new one.
      const outs = await createOwnLogin(id, news, olds.password as string, true);
      const wanted = news.password as string | undefined;
      if (wanted === undefined || wanted === olds.password) return { outs };
      const client = clientFor(news.connection);
      const current = await readLogin(client, news.name as string);
      if (current === undefined) throw new Error(`login [${String(news.name)}] on ${client.target} disappeared while it was being created; run pulumi up again`);
      return { outs: outputs(news, await updateLogin(client, current, { password: wanted, checkPolicy: news.checkPolicy as boolean }), wanted) };
    }
    if (alteredProperties(olds, news).length === 0) {
      // Only connection settings changed: nothing for SQL Server to do.
      const kept = { name: olds.name as string, principalId: olds.principalId as number, sid: olds.sid as string, isDisabled: olds.isDisabled as boolean, checkPolicy: olds.checkPolicy as boolean };
      return { outs: outputs(news, kept, olds.password as string | undefined) };
    }
    const client = clientFor(news.connection);
    const current = await readLogin(client, news.name as string);
    if (current === undefined) {
      throw new Error(`login [${String(news.name)}] on ${client.target} no longer exists; run pulumi refresh, then pulumi up to recreate it`);
    }
    const password = (news.password as string | undefined) ?? (olds.password as string | undefined);
    const record = await updateLogin(client, current, {
      ...(password !== olds.password ? { password } : {}),
      checkPolicy: news.checkPolicy as boolean,
    });
    return { outs: outputs(news, record, password) };
  },

  async delete(_id, props: Props) {
    const client = clientFor(props.connection);
    // A pending create's login is dropped only if it is provably its own: it has this resource's password.
    if (props[CREATE_PENDING] === true && !(await loginHasPassword(client, props.name as string, props.password as string))) return;
    await dropLogin(client, props.name as string);
  },
};
