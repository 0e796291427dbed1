import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, DEFAULT_RETRY, isConnectionLevelError, isTransientError, withRetry } from "../../../provider/sql/retry";
import { batchError, connectionError, nodeError, requestError } from "./fakes";

describe("which failures are retried", () => {
  it.each([
    ["deadlock victim 1205", requestError(1205, "Transaction was deadlocked", { class: 13 }), true],
    ["lock timeout 1222", requestError(1222, "Lock request time out period exceeded."), true],
    ["Azure database unavailable 40613", requestError(40613, "Database is not currently available."), true],
    ["service busy 40501", requestError(40501, "The service is currently busy."), true],
    ["resource limit 10928", requestError(10928, "Resource ID : 1. The request limit for the database is 60"), true],
    ["transport error 10054", requestError(10054, "forcibly closed", { class: 20 }), true],
    ["deadlock after another message", batchError(requestError(3621, "The statement has been terminated.", { class: 0 }), requestError(1205, "deadlocked")), true],
    ["connection reset", connectionError("ESOCKET", "Connection lost - read ECONNRESET", nodeError("ECONNRESET", "read ECONNRESET")), true],
    ["connection closed", connectionError("ECONNCLOSED", "Connection is closed."), true],
    ["refused while restarting", connectionError("ESOCKET", "Failed to connect", nodeError("ECONNREFUSED", "connect ECONNREFUSED")), true],
    ["request timeout", Object.assign(new Error("Timeout: Request failed to complete in 30000ms"), { code: "ETIMEOUT" }), true],
    ["temporary DNS failure", connectionError("ESOCKET", "x", nodeError("EAI_AGAIN", "getaddrinfo EAI_AGAIN")), true],
    ["login failed", connectionError("ELOGIN", "Login failed for user 'sa'."), false],
    ["login failed 18456", requestError(18456, "Login failed", { class: 14 }), false],
    ["untrusted TLS certificate", connectionError("ESOCKET", "x", nodeError("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain")), false],
    ["unknown host", connectionError("ESOCKET", "x", nodeError("ENOTFOUND", "getaddrinfo ENOTFOUND")), false],
    ["syntax error 102", requestError(102, "Incorrect syntax near 'x'."), false],
    ["permission 15247", requestError(15247, "User does not have permission to perform this action."), false],
    ["missing object 15151", requestError(15151, "Cannot find the certificate 'c'"), false],
    ["second endpoint 7862", requestError(7862, "An endpoint of the requested type already exists."), false],
    ["plain Error", new Error("boom"), false],
    ["not an error", "boom", false],
  ])("%s → %s", (_case, error, expected) => {
    expect(isTransientError(error)).toBe(expected);
  });
});

describe("which failures drop the pool", () => {
  it.each([
    ["socket error", connectionError("ESOCKET", "Connection lost"), true],
    ["connection closed", connectionError("ECONNCLOSED", "closed"), true],
    ["fatal severity", requestError(6005, "SHUTDOWN is in progress.", { class: 20 }), true],
    ["pipe closed 233", requestError(233, "No process is on the other end of the pipe.", { class: 16 }), true],
    ["deadlock", requestError(1205, "deadlocked", { class: 13 }), false],
    ["missing object", requestError(15151, "Cannot find"), false],
    ["login failed", connectionError("ELOGIN", "Login failed"), false],
  ])("%s → %s", (_case, error, expected) => {
    expect(isConnectionLevelError(error)).toBe(expected);
  });
});

describe("backoff", () => {
  it("doubles from 250 ms, capped at 4 s, with equal jitter", () => {
    const low = { random: () => 0 };
    const high = { random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, low))).toEqual([125, 250, 500, 1000, 2000, 2000, 2000]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, high))).toEqual([250, 500, 1000, 2000, 4000, 4000]);
  });

  it("honours custom bounds", () => {
    expect(backoffDelay(3, { initialDelayMs: 10, maxDelayMs: 25, random: () => 0.5 })).toBe(19);
  });

  it("defaults are small", () => {
    expect(DEFAULT_RETRY).toEqual({ attempts: 5, initialDelayMs: 250, maxDelayMs: 4000 });
  });
});

describe("withRetry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function flaky(failures: unknown[]) {
    const calls: number[] = [];
    const fn = async (attempt: number) => {
      calls.push(attempt);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return "ok";
    };
    return { fn, calls };
  }

  it("retries transient failures with growing delays, then succeeds", async () => {
    const sleeps: number[] = [];
    const { fn, calls } = flaky([requestError(1205, "deadlock"), connectionError("ECONNCLOSED", "closed")]);
    await expect(withRetry(fn, { random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) })).resolves.toBe("ok");
    expect(calls).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([188, 375]);
  });

  it("is bounded: gives up after the configured attempts with the last error", async () => {
    const sleeps: number[] = [];
    const last = requestError(1205, "deadlock 5");
    const { fn, calls } = flaky([1, 2, 3, 4].map((n) => requestError(1205, `deadlock ${n}`)).concat(last));
    await expect(withRetry(fn, { random: () => 0, sleep: async (ms) => void sleeps.push(ms) })).rejects.toBe(last);
    expect(calls).toEqual([1, 2, 3, 4, 5]);
    expect(sleeps).toEqual([125, 250, 500, 1000]);
  });

  it("never retries a login failure or a syntax error", async () => {
    for (const error of [connectionError("ELOGIN", "Login failed"), requestError(102, "Incorrect syntax")]) {
      const sleep = vi.fn(async () => {});
      const { fn, calls } = flaky([error]);
      await expect(withRetry(fn, { sleep })).rejects.toBe(error);
      expect(calls).toEqual([1]);
      expect(sleep).not.toHaveBeenCalled();
    }
  });

  it("attempts: 1 disables retrying", async () => {
    const { fn, calls } = flaky([requestError(1205, "deadlock")]);
    await expect(withRetry(fn, { attempts: 1 })).rejects.toThrow("deadlock");
    expect(calls).toEqual([1]);
  });

  it("really waits with the default sleep (fake timers)", async () => {
    vi.useFakeTimers();
    const { fn, calls } = flaky([requestError(1205, "deadlock")]);
    const result = withRetry(fn, { random: () => 0 });
    await vi.advanceTimersByTimeAsync(124);
    expect(calls).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toBe("ok");
    expect(calls).toEqual([1, 2]);
  });
});
