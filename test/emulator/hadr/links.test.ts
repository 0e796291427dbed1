/**
 * The connection manager's links: authenticated connections kept to a peer, messages in both
 * directions, reconnection with bounded backoff after cuts (fault hook, peer restart, endpoint
 * stopped on either side), the state a later layer reads (status, last error, timestamps).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EndpointConnection, Message } from "../../../emulator";
import { node, pair, sql, stopAll, trust, waitUntil } from "./helpers";

afterEach(stopAll);

describe("a link", () => {
  it("carries messages both ways, in order, on channels; the acceptor sees who connected", async () => {
    const [a, b] = await pair();
    const atB: Array<[string, string]> = [];
    let inbound: EndpointConnection | undefined;
    b.instance.hadr.onConnection((c) => {
      inbound = c;
      c.onMessage((m) => {
        atB.push([m.channel, m.body.toString()]);
        c.send("reply", `got ${m.body.toString()}`);
      });
    });
    const link = a.instance.hadr.openLink(b.url, { role: "replica" });
    const atA: Message[] = [];
    link.onMessage((m) => atA.push(m));
    const connected = await link.waitFor("connected");
    expect(connected).toMatchObject({ status: "connected", attempts: 1, connectedAt: a.clock.now });
    expect(connected.lastError).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(link.send(i % 2 ? "log" : "heartbeat", String(i))).toBe(true);
    await waitUntil(() => atA.length === 50, "50 replies");
    expect(atB).toEqual(Array.from({ length: 50 }, (_, i) => [i % 2 ? "log" : "heartbeat", String(i)]));
    expect(atA.map((m) => m.body.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `got ${i}`));
    expect(inbound!.peer).toMatchObject({ serverName: "A", role: "replica", login: "a_login" });
    expect(inbound!.direction).toBe("inbound");
    expect(a.instance.hadr.connections.map((c) => [c.direction, c.id])).toEqual([["outbound", inbound!.id]]);
    link.close();
    expect(link.send("heartbeat", "late")).toBe(false);
  });

  it("reconnects after the connections are cut (faults.dropEndpointConnections), recording the cut as 1474", async () => {
    const [a, b] = await pair();
    const link = a.instance.hadr.openLink(b.url, { retry: { initialMs: 10, maxMs: 50 } });
    await link.waitFor("connected");
    const first = a.instance.hadr.connections[0]!.id;
    expect(b.instance.faults.dropEndpointConnections()).toBe(1);
    const back = await link.waitFor((s) => s.status === "connected" && a.instance.hadr.connections[0]?.id !== first);
    expect(back.attempts).toBe(2);
    expect(back.lastError).toMatchObject({ number: 1474, message: `Database mirroring connection error 4 'An error occurred while receiving data: '10054(An existing connection was forcibly closed by the remote host.)'.' for '${b.url}'.` });
    expect(back.disconnectedAt).toBeDefined();
    link.close();
  });

  it("waits out a broken trust with bounded backoff, shows the refusal, and connects once repaired", async () => {
    const [a, b] = await Promise.all([node("a"), node("b")]);
    await trust(b, a, { connect: false });
    const link = a.instance.hadr.openLink(b.url, { retry: { initialMs: 10, maxMs: 40 } });
    const refused = await link.waitFor((s) => s.attempts >= 4);
    expect(refused.status).not.toBe("connected");
    expect(refused.lastError).toMatchObject({ number: 28034, message: "Connection handshake failed. The login 'a_login' does not have CONNECT permission on the endpoint. State 84." });
    // Bounded: with a 40 ms ceiling, 300 ms hold at most ~10 more attempts.
    const before = link.state.attempts;
    await new Promise((r) => setTimeout(r, 300));
    expect(link.state.attempts - before).toBeLessThanOrEqual(12);
    await sql(b, "GRANT CONNECT ON ENDPOINT::Mirroring TO a_login");
    await link.waitFor("connected", 2000);
    link.close();
  });

  it("its own endpoint stopped: cut, refused locally with 9666, back as soon as the endpoint starts again", async () => {
    const [a, b] = await pair();
    const link = a.instance.hadr.openLink(b.url, { retry: { initialMs: 5000, maxMs: 5000 } });
    await link.waitFor("connected");
    await sql(a, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(a.instance.hadr.connections).toEqual([]);
    await waitUntil(() => b.instance.hadr.connections.length === 0, "b to see the cut");
    // The 5 s backoff does not delay the reconnection: starting the endpoint wakes the link.
    link.retryNow();
    await link.waitFor((s) => s.lastError?.number === 9666, 1000);
    await sql(a, "ALTER ENDPOINT Mirroring STATE = STARTED");
    await link.waitFor("connected", 1000);
    link.close();
  });

  it("a peer's restart cuts the link; it connects again when the peer is back (dataDir)", async () => {
    const dir = (await import("node:fs/promises")).mkdtemp;
    const os = await import("node:os");
    const path = await import("node:path");
    const dataDir = await dir(path.join(os.tmpdir(), "hadr-links-"));
    const [a, b] = await Promise.all([node("a"), node("b", { dataDir })]);
    await Promise.all([trust(a, b), trust(b, a)]);
    const link = a.instance.hadr.openLink(b.url, { retry: { initialMs: 10, maxMs: 50 } });
    await link.waitFor("connected");
    const states: string[] = [];
    link.onState((s) => states.push(s.status));
    await b.instance.restart();
    await link.waitFor("connected");
    expect(states).toContain("disconnected");
    expect(link.state.attempts).toBeGreaterThanOrEqual(2);
    link.close();
    (await import("node:fs")).rmSync(dataDir, { recursive: true, force: true });
  });

  it("its own instance's restart cuts the link, which waits for the instance and connects again", async () => {
    const [a, b] = await pair();
    const link = a.instance.hadr.openLink(b.url, { retry: { initialMs: 10, maxMs: 50 } });
    await link.waitFor("connected");
    const statuses: string[] = [];
    link.onState((s) => statuses.push(s.status));
    await a.instance.restart();
    await link.waitFor("connected");
    expect(statuses.slice(0, 2)).toEqual(["disconnected", "connecting"]);
    expect(b.instance.hadr.connections).toHaveLength(1);
    link.close();
  });

  it("waitFor is bounded and says where the link stands", async () => {
    const [a] = await Promise.all([node("a")]);
    const link = a.instance.hadr.openLink("TCP://127.0.0.1:1", { retry: { initialMs: 10, maxMs: 20 } });
    await expect(link.waitFor("connected", 100)).rejects.toThrow(/link to TCP:\/\/127\.0\.0\.1:1: still .*"number":1474.* after 100 ms/);
    link.close();
    await link.done;
    expect(link.state.status).toBe("closed");
  });
});
