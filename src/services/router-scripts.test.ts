/**
 * Issue 6 leftovers on the router: a server session's dynamic `/ip firewall address-list`
 * entries (profile `address-list`), the kernel sets the router asks for, static entries with a
 * timeout, and the profile's on-up / on-down scripts with the RouterOS variables. Two routers
 * (office server, home client) on the in-memory network, as router.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Instant } from '../core/time.js';
import { MemoryNetwork, runNetwork } from '../testing/memory-network.js';
import { OFFICE, RouterNode, routerPair } from '../testing/router-testkit.js';

const LIST = 'ip firewall address-list';

class ScriptRouterNode extends RouterNode {
  lastSets(): Readonly<Record<string, readonly string[]>> | undefined {
    const c = this.commands.filter((x) => x.type === 'address-lists').at(-1);
    return c?.type === 'address-lists' ? c.sets : undefined;
  }
  scriptLog(): string[] {
    return this.log.entries.filter((e) => e.topics.includes('script')).map((e) => `${e.topics.join(',')} ${e.message}`);
  }
}

function setup(profile: Record<string, string>): { net: MemoryNetwork; office: ScriptRouterNode; home: ScriptRouterNode; clientId: string } {
  const { net, office, home } = routerPair((a, seed) => new ScriptRouterNode(a, seed));
  office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'yes', authentication: 'mschap2' }));
  office.change(0, (s) => s.add('ppp profile', { name: 'vpnp', 'use-encryption': 'yes', ...profile }));
  office.change(0, (s) => s.add('ppp secret', { name: 'Home', service: 'l2tp', password: '123', profile: 'vpnp', 'local-address': '172.16.1.1', 'remote-address': '172.16.1.2' }));
  const clientId = home.addClient(0, { user: 'Home', password: '123' });
  return { net, office, home, clientId };
}

/** Connects the client; returns the virtual time reached. */
function connect(net: MemoryNetwork, office: RouterNode, home: RouterNode, clientId: string): Instant {
  const r = runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
  assert.equal(r.reason, 'until');
  // Let the last acks settle.
  return runNetwork(net, [office, home], { start: r.now, timeLimit: r.now + 500 }).now;
}

function disconnect(net: MemoryNetwork, office: RouterNode, home: RouterNode, now: Instant): Instant {
  const id = office.router.rows('ppp active')[0]?.id;
  assert.ok(id);
  assert.deepEqual(office.router.command('ppp active', 'remove', [id]), {});
  office.drainCommands();
  const r = runNetwork(net, [office, home], { start: now, timeLimit: now + 2_000, until: () => office.router.rows('ppp active').length === 0 });
  assert.equal(office.router.rows('ppp active').length, 0);
  return r.now;
}

describe('router: address lists and on-up / on-down scripts', () => {
  it('a session joins its profile address lists as dynamic entries while it is up; the kernel sets follow', () => {
    const { net, office, home, clientId } = setup({ 'address-list': 'vpn,staff' });
    office.change(0, (s) => s.add(LIST, { list: 'vpn', address: '10.9.0.0/16', comment: 'static' }));
    assert.deepEqual(office.lastSets(), { vpn: ['10.9.0.0/16'] });
    const t = connect(net, office, home, clientId);
    const rows = office.router.rows(LIST);
    assert.deepEqual(
      rows.map((r) => [r.values['list'], r.values['address'], r.values['comment']]),
      [
        ['vpn', '172.16.1.2', 'Home'],
        ['staff', '172.16.1.2', 'Home'],
      ],
    );
    assert.deepEqual(office.lastSets(), { staff: ['172.16.1.2'], vpn: ['10.9.0.0/16', '172.16.1.2'] });
    // Dynamic entries are runtime rows: nothing was stored.
    assert.equal(office.store.items(LIST).length, 1);
    const t2 = disconnect(net, office, home, t);
    assert.deepEqual(office.router.rows(LIST), []);
    assert.deepEqual(office.lastSets(), { staff: [], vpn: ['10.9.0.0/16'] });
    // A disabled static entry leaves the kernel set too.
    office.change(t2, (s) => s.disable(LIST, [s.items(LIST)[0]!.id]));
    assert.deepEqual(office.lastSets(), { staff: [], vpn: [] });
  });

  it('on-up and on-down run with the RouterOS variables against the configuration, changes leave to be saved', () => {
    const { net, office, home, clientId } = setup({
      'on-up': ':log info "up $user $"local-address" $"remote-address" $"caller-id" $interface"; /ip firewall address-list add list=scripted address=$"remote-address" comment=$user',
      'on-down': ':log info "down $user"; /ip firewall address-list remove [ find list=scripted ]',
    });
    const t = connect(net, office, home, clientId);
    assert.deepEqual(office.scriptLog(), ['script,info up Home 172.16.1.1 172.16.1.2 192.168.80.50 <l2tp-Home>']);
    const stored = office.store.items(LIST);
    assert.deepEqual(stored.map((i) => i.values), [{ list: 'scripted', address: '172.16.1.2', comment: 'Home', disabled: 'no' }]);
    const saved = office.commands.filter((c) => c.type === 'config-changed');
    assert.equal(saved.length, 1);
    assert.deepEqual(office.lastSets(), { scripted: ['172.16.1.2'] });
    disconnect(net, office, home, t);
    assert.deepEqual(office.scriptLog().at(-1), 'script,info down Home');
    assert.equal(office.store.items(LIST).length, 0);
    assert.equal(office.commands.filter((c) => c.type === 'config-changed').length, 2);
    assert.deepEqual(office.lastSets(), { scripted: [] });
  });

  it('on-up reads the running session with [command] substitution: /ppp active get [find name=$user] address', () => {
    const { net, office, home, clientId } = setup({
      'on-up': ':local a [/ppp active get [find name=$user] address]; :local n [/ppp active print count-only]; :log info "$user has $a of $n active"',
    });
    connect(net, office, home, clientId);
    assert.deepEqual(office.scriptLog(), ['script,info Home has 172.16.1.2 of 1 active']);
  });

  it('a failing script is logged as script,error <profile> on-up: <message>; the session stays up', () => {
    const { net, office, home, clientId } = setup({ 'on-up': ':put ok; :frobnicate' });
    connect(net, office, home, clientId);
    assert.deepEqual(office.scriptLog(), ['script,error vpnp on-up: bad command name frobnicate (line 1 column 10)']);
    assert.equal(office.router.rows('ppp active').length, 1);
  });

  it('a static entry with a timeout is removed by the router timer (a change to save)', () => {
    const office = new ScriptRouterNode(OFFICE, 1);
    office.router.start(0);
    office.change(0, (s) => s.add(LIST, { list: 'tmp', address: '10.0.0.1-10.0.0.4', timeout: '10s' }));
    const id = office.store.items(LIST)[0]!.id;
    assert.equal(office.router.status(LIST, id)?.values?.['timeout'], '10s');
    assert.deepEqual(office.lastSets(), { tmp: ['10.0.0.1-10.0.0.4'] });
    assert.equal(office.router.nextTimeout(), 10_000);
    office.handleTimeout(4_000);
    assert.equal(office.router.status(LIST, id)?.values?.['timeout'], '6s');
    office.handleTimeout(10_000);
    assert.equal(office.store.items(LIST).length, 0);
    assert.deepEqual(office.lastSets(), { tmp: [] });
    const saved = office.commands.find((c) => c.type === 'config-changed');
    assert.ok(saved?.type === 'config-changed' && saved.changes[0]?.op === 'remove');
  });
});
