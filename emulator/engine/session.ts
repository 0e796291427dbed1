/**
 * A session runs batches the way SQL Server does: parse and compile the whole batch first (a syntax
 * or binding error runs nothing), then statement by statement; a statement-level error ends only that
 * statement (XACT_ABORT OFF) and undoes its partial changes; a batch-level error ends the batch.
 * Transactions nest by @@TRANCOUNT and are undone through the session's journal.
 */
import type { SqlMessage, SqlParameter, StatementOutcome } from "../results";
import { isSysadmin, userIdForLogin } from "./access";
import type { Statement } from "./ast";
import { sameName } from "./collation";
import { compileBatch, type CompiledBatch } from "./compile";
import type { ExecContext, SessionSettings, SessionState, Variable } from "./context";
import type { EngineCore, SessionHandle } from "./core";
import type { DateFormat } from "./datetime";
import { executeAlterAuthorization } from "./ddl/authorization";
import { isDatabaseStatement } from "./databases/ast";
import { isAvailabilityGroupStatement } from "./availabilityGroups/ast";
import { executeAvailabilityGroupStatement } from "./availabilityGroups/statements";
import { SessionObjectResolver } from "./databases/objects";
import { executeCertificate } from "./ddl/certificates";
import { compileDatabaseStatement, executeDatabaseStatement, guardDatabaseScope } from "./ddl/databaseStatements";
import { executeUse } from "./ddl/databases";
import { executeEndpoint } from "./ddl/endpoints";
import { executeLogin } from "./ddl/logins";
import { executeMasterKey } from "./ddl/masterKey";
import { executePermission } from "./ddl/permissions";
import { executeUser } from "./ddl/users";
import { SqlError, fail, sqlMessage } from "./errors";
import { isTrue } from "./evaluate";
import { Journal } from "./journal";
import { parseBatch } from "./parser/batch";
import { convertValue, toText, typeFromName, typeFromParameter, type SqlType } from "./values";

/** The SET options of a new (or reset) session: what mssql's initial batch sets, and SQL Server's defaults. */
export function defaultSettings(): SessionSettings {
  return {
    quotedIdentifier: true,
    xactAbort: false,
    nocount: false,
    concatNullYieldsNull: true,
    dateFormat: "mdy",
    dateFirst: 7,
    language: "us_english",
    textSize: 2147483647,
    isolationLevel: "READ COMMITTED",
    lockTimeout: -1,
  };
}

const DATE_FORMATS = new Set(["mdy", "dmy", "ymd", "ydm", "myd", "dym"]);

/** SET options that change nothing the subset can observe; accepted with ON or OFF. */
const INERT_OPTIONS = new Set(["ANSI_NULL_DFLT_ON", "ANSI_NULL_DFLT_OFF", "ANSI_PADDING", "ANSI_WARNINGS", "ANSI_DEFAULTS", "ARITHABORT", "ARITHIGNORE", "CURSOR_CLOSE_ON_COMMIT", "NUMERIC_ROUNDABORT"]);

/** How a statement ended, for the statement list running it. */
type Flow = "next" | "abort";

/** State of one running batch (its variables and compiled forms). */
interface BatchRun {
  compiled: CompiledBatch;
  variables: Map<string, Variable>;
  outcomes: StatementOutcome[];
  signal?: AbortSignal;
}

/** A logged-in session. See `EngineSession` in engine.ts for the public contract. */
export class Session implements SessionHandle {
  readonly state: SessionState;
  private transaction?: Journal;
  private closed = false;

  constructor(
    private readonly core: EngineCore,
    readonly loginId: number,
    spid: number,
    /** The database the login asked for (LOGIN7); RESETCONNECTION returns to it. */
    private readonly initialDatabase = "master",
  ) {
    this.state = { spid, loginId, database: initialDatabase, settings: defaultSettings(), trancount: 0, lastError: 0, lastRowCount: 0 };
    core.sessions.add(this);
  }

  get spid(): number {
    return this.state.spid;
  }

  /** The session's current database. */
  currentDatabase(): string {
    return this.state.database;
  }

  /** The login's current name. */
  get login(): string {
    return this.core.catalog.loginById(this.loginId)?.name ?? "";
  }

  /** True while an open transaction holds changes (persistence waits for it). */
  hasUncommittedChanges(): boolean {
    return this.transaction !== undefined && !this.transaction.empty;
  }

  /** Runs a batch or an sp_executesql statement with its parameters. */
  async execute(sql: string, params: SqlParameter[] = [], signal?: AbortSignal): Promise<StatementOutcome[]> {
    if (this.closed) throw new Error("session is closed");
    this.core.counters.batches++;
    const variables = new Map<string, Variable>();
    for (const p of params) {
      const name = (p.name.startsWith("@") ? p.name : `@${p.name}`).toLowerCase();
      variables.set(name, { type: typeFromParameter(p.type, p.value), value: p.value });
    }
    const outcomes: StatementOutcome[] = [];
    await this.runBatch(sql, variables, outcomes, signal);
    return outcomes;
  }

  /** Parses, compiles and runs one batch (also a dynamic one from EXEC); returns whether it was aborted. */
  private async runBatch(sql: string, variables: Map<string, Variable>, outcomes: StatementOutcome[], signal?: AbortSignal): Promise<Flow> {
    let statements: Statement[];
    let compiled: CompiledBatch;
    try {
      statements = parseBatch(sql, { quotedIdentifier: this.state.settings.quotedIdentifier });
      const types = new Map<string, SqlType>([...variables].map(([k, v]) => [k, v.type]));
      const objects = new SessionObjectResolver(this.core.services.databases, this.state);
      compiled = compileBatch(statements, types, { objects, compileStatement: compileDatabaseStatement });
      objects.finishCompilation();
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      this.reportError(e, 1, outcomes);
      return "abort";
    }
    return this.runList(statements, { compiled, variables, outcomes, signal });
  }

  private async runList(statements: Statement[], run: BatchRun): Promise<Flow> {
    for (const s of statements) {
      if (run.signal?.aborted) return "abort";
      if ((await this.runStatement(s, run)) === "abort") return "abort";
    }
    return "next";
  }

  private context(run: BatchRun, journal: Journal): ExecContext {
    const catalog = this.core.catalog;
    return {
      catalog,
      instance: this.core.services,
      session: this.state,
      viewer: { loginId: this.loginId, sysadmin: isSysadmin(catalog, this.loginId), userId: userIdForLogin(catalog, this.loginId) },
      variables: run.variables,
      journal,
      infos: [],
    };
  }

  private count(s: Statement): void {
    const c = this.core.counters.statements;
    c[s.counterName] = (c[s.counterName] ?? 0) + 1;
  }

  private async runStatement(s: Statement, run: BatchRun): Promise<Flow> {
    // Faults hit statements that do something themselves, not the IF / BEGIN…END / EXEC around them,
    // so a fault on "CREATE CERTIFICATE" fires only when the guarded CREATE really runs.
    const wrapper = s.kind === "if" || s.kind === "block" || s.kind === "exec";
    const injected = wrapper ? undefined : this.core.faults.take(s.text, s.line);
    if (injected) {
      run.outcomes.push({ kind: "error", error: injected });
      this.state.lastError = injected.number;
      return this.afterError(run);
    }
    this.count(s);
    if (s.kind === "block") return this.runList(s.body, run);
    const journal = new Journal();
    const ctx = this.context(run, journal);
    const before = run.outcomes.length;
    try {
      if (s.kind === "if") {
        const branch = isTrue(run.compiled.expression(s.condition).evaluate({ rows: [] }, ctx)) ? s.then : s.else;
        return branch ? await this.runStatement(branch, run) : "next";
      }
      if (s.kind === "exec") {
        const text = toText(run.compiled.expression(s.sql).evaluate({ rows: [] }, ctx)) ?? "";
        // Dynamic SQL is its own batch (own variables); its errors end only that batch, unless
        // XACT_ABORT ended it, which ends the calling batch too.
        const flow = await this.runBatch(text, new Map(), run.outcomes, run.signal);
        return flow === "abort" && this.state.settings.xactAbort ? "abort" : "next";
      }
      const results = await this.dispatch(s, ctx, run);
      for (const info of ctx.infos) run.outcomes.push({ kind: "info", info: sqlMessage(info.number, info.args, { line: s.line }) });
      run.outcomes.push(...results);
      this.state.lastError = 0;
      this.keep(journal, !isDatabaseStatement(s));
      return "next";
    } catch (e) {
      journal.rollback();
      if (!(e instanceof SqlError)) throw e;
      run.outcomes.splice(before);
      const severity = this.core.services.messageSeverities[e.sql.number];
      if (severity !== undefined && severity <= 10 && e.scope === "statement") {
        // An informational message: the statement did nothing, yet the client sees no error.
        run.outcomes.push({ kind: "info", info: { ...e.sql, class: severity, line: e.sql.line || s.line } }, { kind: "done" });
        this.state.lastError = 0;
        return "next";
      }
      const raised = severity === undefined ? e : new SqlError({ ...e.sql, class: severity }, e.scope, e.preceding);
      return this.reportError(raised, s.line, run.outcomes) === "abort" ? "abort" : this.afterError(run);
    } finally {
      await this.core.settle();
    }
  }

  /**
   * A statement's changes become part of the open transaction, or are committed now. `master` says
   * whether master.json changes too (the database layer's statements mark only their own files).
   */
  private keep(journal: Journal, master: boolean): void {
    if (journal.empty) return;
    if (this.transaction) journal.mergeInto(this.transaction);
    else {
      journal.commit();
      this.core.noteCommitted();
    }
    if (master) this.core.markDirty();
  }

  /** Appends an error (and the messages before it); returns "abort" when it ends the batch. */
  private reportError(e: SqlError, line: number, outcomes: StatementOutcome[]): Flow {
    const withLine = (m: SqlMessage): SqlMessage => (m.line ? m : { ...m, line });
    for (const m of e.preceding) outcomes.push({ kind: "error", error: withLine(m) });
    outcomes.push({ kind: "error", error: withLine(e.sql) });
    for (const m of e.following) outcomes.push({ kind: "info", info: withLine(m) });
    this.state.lastError = e.sql.number;
    return e.scope === "batch" ? "abort" : "next";
  }

  /** XACT_ABORT ON: any error rolls back the transaction and ends the batch. */
  private afterError(run: BatchRun): Flow {
    if (!this.state.settings.xactAbort) return "next";
    if (this.state.trancount > 0) run.outcomes.push(...this.rollback());
    return "abort";
  }

  private async dispatch(s: Statement, ctx: ExecContext, run: BatchRun): Promise<StatementOutcome[]> {
    guardDatabaseScope(ctx, s);
    if (isDatabaseStatement(s)) return executeDatabaseStatement(ctx, s, run.compiled);
    if (isAvailabilityGroupStatement(s)) {
      executeAvailabilityGroupStatement(ctx, s);
      return [{ kind: "done" }];
    }
    switch (s.kind) {
      case "select": {
        const query = run.compiled.query(s);
        const rows = query.run(ctx, undefined);
        this.state.lastRowCount = rows.length;
        return [{ kind: "rows", columns: query.columns, rows }];
      }
      case "use":
        return executeUse(ctx, s);
      case "set":
        return this.applySet(s.option, s.value, s.line);
      case "declare":
        for (const v of s.variables) {
          const type = typeFromName(v.type);
          const value = v.init ? convertValue(run.compiled.expression(v.init).evaluate({ rows: [] }, ctx), type, 0, this.state.settings.dateFormat) : null;
          run.variables.set(v.name.toLowerCase(), { type, value });
        }
        return [{ kind: "done" }];
      case "setVariable": {
        const variable = run.variables.get(s.name.toLowerCase())!;
        variable.value = convertValue(run.compiled.expression(s.expr).evaluate({ rows: [] }, ctx), variable.type, 0, this.state.settings.dateFormat);
        return [{ kind: "done" }];
      }
      case "print": {
        const text = toText(run.compiled.expression(s.expr).evaluate({ rows: [] }, ctx)) ?? "";
        return [{ kind: "info", info: sqlMessage(0, [text], { line: s.line }) }, { kind: "done" }];
      }
      case "beginTransaction":
        return this.beginTransaction();
      case "commit":
        return this.commitOrFail();
      case "rollback":
        if (this.state.trancount === 0) fail(3903);
        return this.rollback();
      case "execProcedure":
        return fail(2812, s.name);
      case "createMasterKey":
      case "alterMasterKey":
      case "openMasterKey":
      case "closeMasterKey":
      case "dropMasterKey":
        executeMasterKey(ctx, s);
        break;
      case "createCertificate":
      case "alterCertificate":
      case "backupCertificate":
      case "dropCertificate":
        await executeCertificate(ctx, s);
        break;
      case "alterAuthorization":
        executeAlterAuthorization(ctx, s);
        break;
      case "createEndpoint":
      case "alterEndpoint":
      case "dropEndpoint":
        executeEndpoint(ctx, s);
        break;
      case "createLogin":
      case "alterLogin":
      case "dropLogin":
        executeLogin(ctx, s);
        break;
      case "createUser":
      case "alterUser":
      case "dropUser":
        executeUser(ctx, s);
        break;
      case "permission":
        executePermission(ctx, s);
        break;
      case "if":
      case "block":
      case "exec":
        throw new Error(`${s.kind} is run by runStatement`);
    }
    return [{ kind: "done" }];
  }

  private applySet(option: string, value: string | number, line: number): StatementOutcome[] {
    const settings = this.state.settings;
    const on = value === "ON";
    switch (option) {
      case "QUOTED_IDENTIFIER":
        settings.quotedIdentifier = on;
        break;
      case "XACT_ABORT":
        settings.xactAbort = on;
        break;
      case "NOCOUNT":
        settings.nocount = on;
        break;
      case "CONCAT_NULL_YIELDS_NULL":
        settings.concatNullYieldsNull = on;
        break;
      case "ANSI_NULLS":
      case "IMPLICIT_TRANSACTIONS":
      case "FMTONLY":
      case "NOEXEC":
        // Only the default is implemented; the other value would change results, so it is refused.
        if (on !== (option === "ANSI_NULLS")) fail(50000, `SET ${option} ${value}`);
        break;
      case "ROWCOUNT":
        if (value !== 0) fail(50000, "SET ROWCOUNT with a non-zero value");
        break;
      case "TEXTSIZE":
        settings.textSize = Number(value) <= 0 ? 4096 : Number(value);
        break;
      case "DATEFIRST":
        if (Number(value) < 1 || Number(value) > 7) fail(2742, value);
        settings.dateFirst = Number(value);
        break;
      case "DATEFORMAT": {
        const format = String(value).toLowerCase();
        if (!DATE_FORMATS.has(format)) fail(2741, String(value));
        settings.dateFormat = format as DateFormat;
        break;
      }
      case "LANGUAGE": {
        if (!sameName(String(value), "us_english") && !sameName(String(value), "English")) fail(2740, value);
        settings.language = "us_english";
        return [{ kind: "info", info: sqlMessage(5703, ["us_english"], { line }) }, { kind: "done" }];
      }
      case "TRANSACTION ISOLATION LEVEL":
        settings.isolationLevel = String(value);
        break;
      case "LOCK_TIMEOUT":
        settings.lockTimeout = Number(value);
        break;
      case "DEADLOCK_PRIORITY":
        break;
      default:
        if (!INERT_OPTIONS.has(option)) fail(50000, `SET ${option}`);
    }
    return [{ kind: "done" }];
  }

  /** BEGIN TRANSACTION (statement or TDS transaction-manager request). */
  beginTransaction(): StatementOutcome[] {
    this.state.trancount++;
    if (this.state.trancount > 1) return [{ kind: "done" }];
    this.transaction = new Journal();
    return [{ kind: "transaction", event: "begin" }, { kind: "done" }];
  }

  private commitOrFail(): StatementOutcome[] {
    if (this.state.trancount === 0) fail(3902);
    this.state.trancount--;
    if (this.state.trancount > 0) return [{ kind: "done" }];
    this.transaction?.commit();
    this.transaction = undefined;
    this.core.noteCommitted();
    return [{ kind: "transaction", event: "commit" }, { kind: "done" }];
  }

  /** COMMIT (TDS transaction-manager request): 3902 as an error outcome when no transaction is open. */
  commit(): StatementOutcome[] {
    try {
      return this.commitOrFail();
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      return [{ kind: "error", error: { ...e.sql, line: 1 } }];
    } finally {
      this.core.schedulePersist();
    }
  }

  /** ROLLBACK: undoes every change of the transaction, whatever its nesting depth. */
  rollback(): StatementOutcome[] {
    if (this.state.trancount === 0) return [{ kind: "error", error: sqlMessage(3903) }];
    this.transaction?.rollback();
    this.transaction = undefined;
    this.state.trancount = 0;
    this.core.noteCommitted();
    // Changes other sessions committed meanwhile may have waited for this transaction to end.
    this.core.schedulePersist();
    return [{ kind: "transaction", event: "rollback" }, { kind: "done" }];
  }

  /** RESETCONNECTION: roll back, restore SET defaults and the login's database, close the master key. */
  reset(): void {
    if (this.state.trancount > 0) this.rollback();
    this.state.database = this.core.services.databases.byName(this.initialDatabase)?.name ?? "master";
    this.state.settings = defaultSettings();
    this.state.openedMasterKey = undefined;
    this.state.lastError = 0;
    this.state.lastRowCount = 0;
  }

  /** The connection is gone: roll back and leave the instance. */
  close(): void {
    if (this.closed) return;
    this.reset();
    this.closed = true;
    this.core.sessions.delete(this);
    this.core.schedulePersist();
  }
}
