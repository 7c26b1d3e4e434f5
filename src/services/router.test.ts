/**
 * Configuration wired to the L2TP/PPP service: two routers (an office server and a home client),
 * each with its own RouterOS configuration, on the in-memory network. Enabling, dialing, live
 * views (`/ppp active`, dynamic `<l2tp-USER>` entries, `monitor`), disconnects and redials.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isConfigError } from '../config/values.js';
import { MemoryNetwork, runNetwork } from '../testing/memory-network.js';
import { HOME, OFFICE, RouterNode, routerPair } from '../testing/router-testkit.js';

function setup(): { net: MemoryNetwork; office: RouterNode; home: RouterNode; clientId: string } {
  const { net, office, home } = routerPair((a, seed) => new RouterNode(a, seed));
  office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'yes', authentication: 'mschap2' }));
  office.change(0, (s) => s.add('ppp secret', { name: 'Home', service: 'l2tp', password: '123', 'local-address': '172.16.1.1', 'remote-address': '172.16.1.2' }));
  const clientId = home.addClient(0, { user: 'Home', password: '123' });
  return { net, office, home, clientId };
}

describe('router: RouterOS configuration drives the L2TP/PPP service', () => {
  it('opens UDP 1701 when the server is enabled and closes it when disabled', () => {
    const office = new RouterNode(OFFICE, 1);
    office.router.start(0);
    assert.equal(office.commands.length, 0);
    office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'yes' }));
    assert.deepEqual(office.commands.at(-1), { type: 'listen', address: '0.0.0.0', port: 1701 });
    office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'no' }));
    assert.deepEqual(office.commands.at(-1), { type: 'unlisten' });
  });

  it('connects the client, shows it in monitor, /ppp active and the dynamic interface list', () => {
    const { net, office, home, clientId } = setup();
    const r = runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    assert.equal(r.reason, 'until');
    const m = home.router.monitor('interface l2tp-client', clientId)!;
    assert.equal(m['local-address'], '172.16.1.2');
    assert.equal(m['remote-address'], '172.16.1.1');
    // Both sides use the default-encryption profile: MPPE 128 stateless, 4 octets off the MTU.
    assert.equal(m['encoding'], 'MPPE128 stateless');
    assert.equal(m['mtu'], '1446');
    assert.equal(office.router.rows('ppp active')[0]!.values['encoding'], 'MPPE128 stateless');
    assert.equal(home.router.status('interface l2tp-client', clientId)?.flags, 'R');
    const active = office.router.rows('ppp active');
    assert.equal(active.length, 1);
    assert.equal(active[0]!.values['name'], 'Home');
    assert.equal(active[0]!.values['address'], '172.16.1.2');
    assert.equal(active[0]!.values['caller-id'], HOME.ip);
    const dyn = office.router.rows('interface l2tp-server');
    assert.equal(dyn[0]!.values['name'], '<l2tp-Home>');
    assert.ok(office.log.has(/Home logged in, 172\.16\.1\.2/));
    assert.ok(office.router.rows('interface').some((row) => row.values['name'] === '<l2tp-Home>' && row.flags === 'DR'));
  });

  it('a static /interface l2tp-server entry takes the session of its user', () => {
    const { net, office, home, clientId } = setup();
    let staticId = '';
    office.change(0, (s) => {
      const r = s.add('interface l2tp-server', { name: 'office-home', user: 'Home' });
      if (!isConfigError(r)) staticId = r.id;
      return r;
    });
    runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    assert.equal(office.router.rows('interface l2tp-server').length, 0);
    assert.equal(office.router.status('interface l2tp-server', staticId)?.flags, 'R');
  });

  it('/ppp active remove disconnects; the client redials with backoff and reconnects', () => {
    const { net, office, home, clientId } = setup();
    const r = runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    const id = office.router.rows('ppp active')[0]!.id;
    assert.deepEqual(office.router.command('ppp active', 'remove', [id]), {});
    const r2 = runNetwork(net, [office, home], { start: r.now, timeLimit: r.now + 10_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'disconnected' });
    assert.equal(r2.reason, 'until');
    assert.equal(office.router.rows('ppp active').length, 0);
    const secret = office.store.findByName('ppp secret', 'Home')!;
    const last = office.router.status('ppp secret', secret.id)?.values ?? {};
    assert.equal(last['last-caller-id'], HOME.ip);
    assert.match(last['last-logged-out'] ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(last['last-disconnect-reason'], 'disconnected by admin');
    const r3 = runNetwork(net, [office, home], { start: r2.now, timeLimit: r2.now + 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    assert.equal(r3.reason, 'until');
    assert.ok(r3.now - r2.now >= 5_000, 'redial waited for the backoff');
  });

  it('a changed password applies at the next login; disabling the client hangs up', () => {
    const { net, office, home, clientId } = setup();
    const r = runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    const secret = office.store.findByName('ppp secret', 'Home')!;
    office.change(r.now, (s) => s.set('ppp secret', [secret.id], { password: 'changed' }));
    home.change(r.now, (s) => s.disable('interface l2tp-client', [clientId]));
    const r2 = runNetwork(net, [office, home], { start: r.now, timeLimit: r.now + 60_000, until: () => office.router.rows('ppp active').length === 0 });
    assert.equal(r2.reason, 'until');
    assert.deepEqual(home.router.monitor('interface l2tp-client', clientId), { status: 'disconnected' });
    home.change(r2.now, (s) => s.enable('interface l2tp-client', [clientId]));
    runNetwork(net, [office, home], { start: r2.now, timeLimit: r2.now + 20_000 });
    assert.notEqual(home.router.monitor('interface l2tp-client', clientId)?.['status'], 'connected');
    assert.ok(office.log.has(/authentication failed/));
  });

  it('disabling the server ends its sessions', () => {
    const { net, office, home, clientId } = setup();
    const r = runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    office.change(r.now, (s) => s.set('interface l2tp-server server', [''], { enabled: 'no' }));
    runNetwork(net, [office, home], { start: r.now, timeLimit: r.now + 4_000 });
    assert.equal(office.router.rows('ppp active').length, 0);
    assert.notEqual(home.router.monitor('interface l2tp-client', clientId)?.['status'], 'connected');
  });

  it('brings interfaces up with routes (site-to-site example) and down again', () => {
    const { net, office, home, clientId } = setup();
    const secret = office.store.findByName('ppp secret', 'Home')!;
    office.change(0, (s) => s.set('ppp secret', [secret.id], { routes: '10.1.202.0/24 172.16.1.2 1' }));
    home.change(0, (s) => s.add('ip route', { 'dst-address': '10.1.101.0/24', gateway: 'l2tp-out1' }));
    home.change(0, (s) => s.set('interface l2tp-client', [clientId], { 'add-default-route': 'yes', 'default-route-distance': '5' }));
    const r = runNetwork(net, [office, home], { timeLimit: 60_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
    assert.equal(r.reason, 'until');
    const up = office.commands.find((c) => c.type === 'interface-up');
    assert.ok(up && up.type === 'interface-up');
    assert.equal(up.name, '<l2tp-Home>');
    assert.equal(up.kernelName, 'l2tp-Home');
    assert.deepEqual(up.routes, [{ dst: '10.1.202.0/24', gateway: '172.16.1.2', metric: 1 }]);
    const homeUp = home.commands.filter((c) => c.type === 'interface-up').at(-1);
    assert.ok(homeUp && homeUp.type === 'interface-up');
    assert.equal(homeUp.kernelName, 'l2tp-out1');
    assert.equal(homeUp.mtu, 1446);
    assert.deepEqual(homeUp.routes, [{ dst: '0.0.0.0/0', metric: 5 }, { dst: '10.1.101.0/24', metric: 1 }]);
    assert.ok(office.router.rows('interface').some((row) => row.values['kernel-name'] === 'l2tp-Home'));
    home.change(r.now, (s) => s.disable('interface l2tp-client', [clientId]));
    runNetwork(net, [office, home], { start: r.now, timeLimit: r.now + 5_000 });
    assert.ok(home.commands.some((c) => c.type === 'interface-down'));
    assert.ok(office.commands.some((c) => c.type === 'interface-down'));
  });

  it('one user with several sessions: kernel names l2tp-Home, -1, -2, and a freed suffix is the next one given', () => {
    const { net, office, home } = routerPair((a, seed) => new RouterNode(a, seed));
    office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'yes', authentication: 'mschap2' }));
    office.change(0, (s) => s.add('ip pool', { name: 'p', ranges: '172.16.9.2-172.16.9.50' }));
    office.change(0, (s) => s.add('ppp secret', { name: 'Home', service: 'l2tp', password: '123', 'local-address': '172.16.9.1', 'remote-address': 'p' }));
    const ids = ['a', 'b', 'c'].map((n) => home.addClient(0, { name: `out-${n}`, user: 'Home', password: '123' }));
    const connected = (id: string): boolean => home.router.monitor('interface l2tp-client', id)?.['status'] === 'connected';
    const r = runNetwork(net, [office, home], { timeLimit: 60_000, until: () => ids.every(connected) });
    assert.equal(r.reason, 'until');
    const upNames = (): string[] => office.commands.flatMap((c) => (c.type === 'interface-up' ? [c.kernelName] : []));
    assert.deepEqual([...upNames()].sort(), ['l2tp-Home', 'l2tp-Home-1', 'l2tp-Home-2']);
    // Take down the session named l2tp-Home-1 (found by its address); the next session gets -1
    // back, not -3.
    const ups = office.commands.flatMap((c) => (c.type === 'interface-up' ? [c] : []));
    const remote = ups.find((c) => c.kernelName === 'l2tp-Home-1')?.remote;
    const victim = ids.find((id) => home.router.monitor('interface l2tp-client', id)?.['local-address'] === remote);
    assert.ok(victim !== undefined);
    home.change(r.now, (s) => s.disable('interface l2tp-client', [victim]));
    const r2 = runNetwork(net, [office, home], { start: r.now, timeLimit: r.now + 10_000, until: () => office.commands.some((c) => c.type === 'interface-down') });
    const down = office.commands.find((c) => c.type === 'interface-down');
    assert.ok(down && down.type === 'interface-down');
    assert.equal(down.kernelName, 'l2tp-Home-1');
    home.change(r2.now, (s) => s.enable('interface l2tp-client', [victim]));
    const before = upNames().length;
    runNetwork(net, [office, home], { start: r2.now, timeLimit: r2.now + 60_000, until: () => upNames().length > before });
    assert.equal(upNames().at(-1), 'l2tp-Home-1');
  });

  it('dial-on-demand: placeholder interface and routes first, the first packet dials and is delivered', () => {
    const net = new MemoryNetwork({ seed: 1, delayMs: 2, lossProbability: 0, duplicateProbability: 0, reorderProbability: 0, reorderMaxExtraMs: 0 });
    const office = new RouterNode(OFFICE, 1);
    const home = new RouterNode(HOME, 2);
    office.router.start(0);
    home.router.start(0);
    office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'yes' }));
    office.change(0, (s) => s.add('ppp secret', { name: 'Home', password: '123', 'local-address': '172.16.1.1', 'remote-address': '172.16.1.2' }));
    let clientId = '';
    home.change(0, (s) => {
      const r = s.add('interface l2tp-client', { 'connect-to': OFFICE.ip, user: 'Home', password: '123', disabled: 'no', 'dial-on-demand': 'yes', 'add-default-route': 'yes' });
      if (!isConfigError(r)) clientId = r.id;
      return r;
    });
    const up = home.commands.find((c) => c.type === 'interface-up');
    assert.ok(up && up.type === 'interface-up');
    assert.match(up.local, /^10\.112\.112\.\d+$/);
    assert.deepEqual(up.routes, [{ dst: '0.0.0.0/0' }]);
    // Nothing dials without traffic.
    runNetwork(net, [office, home], { timeLimit: 20_000 });
    assert.equal(office.router.rows('ppp active').length, 0);
    const received: Uint8Array[] = [];
    office.router.ipSink = (_k, _p, packet) => received.push(packet.slice());
    const packet = Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 172, 16, 1, 2, 172, 16, 1, 1]);
    home.router.sendIp(20_000, up.key, packet, 'ipv4');
    const r = runNetwork(net, [office, home], { start: 20_000, timeLimit: 60_000, until: () => received.length > 0 });
    assert.equal(r.reason, 'until');
    assert.deepEqual([...received[0]!], [...packet]);
    const readdress = home.commands.find((c) => c.type === 'interface-readdress');
    assert.ok(readdress && readdress.type === 'interface-readdress');
    assert.equal(readdress.local, '172.16.1.2');
    assert.equal(home.router.monitor('interface l2tp-client', clientId)?.['status'], 'connected');
  });

  it('authenticates the tunnel with /ppp l2tp-secret on both sides; a mismatch refuses it', () => {
    for (const [officeSecret, homeSecret, ok] of [['s3', 's3', true], ['s3', 'other', false]] as const) {
      const { net, office, home, clientId } = setup();
      office.change(0, (s) => s.add('ppp l2tp-secret', { address: '192.168.80.0/24', secret: officeSecret }));
      home.change(0, (s) => s.add('ppp l2tp-secret', { address: `${OFFICE.ip}/32`, secret: homeSecret }));
      // re-dial with the secrets in place
      home.change(0, (s) => s.set('interface l2tp-client', [clientId], { comment: 'x' }));
      const r = runNetwork(net, [office, home], { timeLimit: 20_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
      assert.equal(r.reason === 'until', ok, `${officeSecret}/${homeSecret}`);
      if (!ok) assert.ok(home.log.has(/tunnel authentication failed|not authorized/) || office.log.has(/tunnel authentication failed/));
    }
  });
});
