// Runs one small scenario through two official Node ECS clients against a
// running ECS emulator (cmd/ecs-emulator), started by .ci/node-clients.sh
// with testdata/fleet.json and a long --stop-delay (so a stopped instance
// stays Stopping for the whole run):
//
//   tea  @alicloud/ecs20140526 (Tea/Darabonba SDK), default signature
//        ACS3-HMAC-SHA256 ("V3"), POST, parameters in the query
//   pop  @alicloud/pop-core RPCClient, signature HMAC-SHA1 ("V1"), POST with
//        a form body
//
// Each check prints `ok <client> <check>` or `FAIL <client> <check>: why`;
// the exit status is 1 when any check failed. The run changes the fleet
// (each client stops one instance), so run it against a fresh emulator.
//
// Environment: ECS_ENDPOINT (http://HOST:PORT, required),
// EMULATOR_ACCESS_KEY_ID and EMULATOR_ACCESS_KEY_SECRET (default: the
// emulator's documented test pair), EMULATOR_REGION_ID (cn-hangzhou),
// FLEET (testdata/fleet.json next to this file).
import { readFileSync } from 'node:fs';

// CommonJS packages: the default import is module.exports (the Tea SDK's
// client class is its .default; its request models are named exports).
import Ecs from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import pop from '@alicloud/pop-core';

const { RPCClient } = pop;

const endpoint = process.env.ECS_ENDPOINT;
if (!endpoint || !/^http:\/\/[^/]+$/.test(endpoint)) {
  console.error('check.mjs: set ECS_ENDPOINT=http://HOST:PORT (a running ecs-emulator)');
  process.exit(2);
}
const host = endpoint.replace(/^http:\/\//, '');
const keyId = process.env.EMULATOR_ACCESS_KEY_ID || 'LTAIemulatorAccessKey';
const secret = process.env.EMULATOR_ACCESS_KEY_SECRET || 'emulator-secret';
const region = process.env.EMULATOR_REGION_ID || 'cn-hangzhou';
const fleet = JSON.parse(readFileSync(process.env.FLEET || new URL('testdata/fleet.json', import.meta.url), 'utf8'));

// What the fleet says each check must see.
const inRegion = fleet.filter((i) => i.RegionId === region);
const hasTag = (i, k, v) => (i.Tags?.Tag ?? []).some((t) => t.TagKey === k && t.TagValue === v);
const want = {
  all: ids(inRegion),
  tagged: ids(inRegion.filter((i) => hasTag(i, 'team', 'ci'))),
  stopped: ids(inRegion.filter((i) => i.Status === 'Stopped')),
};
// The instance each client stops, without RegionId: Running in the fleet;
// pop's is in another region than the clients', so only a region-less
// lookup finds it.
const stops = { tea: 'i-node004', pop: 'i-node101' };
for (const id of Object.values(stops)) {
  const inst = fleet.find((i) => i.InstanceId === id);
  if (inst?.Status !== 'Running') throw new Error(`the fleet must hold ${id}, Running`);
}
if (want.all.length < 3 || want.tagged.length < 2 || want.stopped.length < 1) {
  throw new Error(`the fleet is too small for the checks in ${region}`);
}
const PAGE = 2; // several pages for the fleet

function ids(list) {
  return list.map((i) => i.InstanceId).sort();
}

function sameIds(got, wanted, what) {
  const g = [...got].sort();
  if (g.length !== new Set(g).size) throw new Error(`${what}: duplicate IDs ${g.join(',')}`);
  if (g.join(',') !== wanted.join(',')) throw new Error(`${what}: got [${g.join(',')}], want [${wanted.join(',')}]`);
}

// ---- the two clients, behind one small interface ----------------------

// Every method returns the answer's body as ECS writes it (PascalCase) or
// throws an error with .code and .status.
function teaClient(id, key) {
  const client = new Ecs.default(new $OpenApiUtil.Config({
    accessKeyId: id,
    accessKeySecret: key,
    endpoint: host,
    protocol: 'http',
    regionId: region,
    noProxy: host,
    connectTimeout: 5000,
    readTimeout: 10000,
  }));
  const call = async (f) => {
    try {
      const resp = await f();
      return resp.body.toMap();
    } catch (e) {
      throw Object.assign(new Error(e.message), { code: e.code, status: e.statusCode });
    }
  };
  return {
    describeInstances: (q) => call(() => client.describeInstances(new Ecs.DescribeInstancesRequest({
      regionId: region,
      maxResults: q.pageSize,
      nextToken: q.next,
      status: q.status,
      tag: q.tag && [new Ecs.DescribeInstancesRequestTag({ key: q.tag.key, value: q.tag.value })],
    }))),
    // StopInstanceRequest and DescribeInstanceAttributeRequest have no RegionId.
    stopInstance: (instanceId) => call(() => client.stopInstance(new Ecs.StopInstanceRequest({ instanceId }))),
    describeInstanceAttribute: (instanceId) =>
      call(() => client.describeInstanceAttribute(new Ecs.DescribeInstanceAttributeRequest({ instanceId }))),
    pages: 'NextToken',
  };
}

function popClient(id, key) {
  const client = new RPCClient({ endpoint, apiVersion: '2014-05-26', accessKeyId: id, accessKeySecret: key });
  const opts = { method: 'POST', timeout: 10000 };
  const call = async (action, params) => {
    try {
      return await client.request(action, params, opts);
    } catch (e) {
      throw Object.assign(new Error(e.data?.Message ?? e.message), {
        code: e.code,
        status: e.entry?.response?.statusCode,
      });
    }
  };
  return {
    describeInstances: (q) => {
      const p = { RegionId: region, PageSize: q.pageSize, PageNumber: q.page ?? 1 };
      if (q.status) p.Status = q.status;
      if (q.tag) p.Tag = [{ Key: q.tag.key, Value: q.tag.value }];
      return call('DescribeInstances', p);
    },
    stopInstance: (instanceId) => call('StopInstance', { InstanceId: instanceId }),
    describeInstanceAttribute: (instanceId) => call('DescribeInstanceAttribute', { InstanceId: instanceId }),
    pages: 'PageNumber',
  };
}

// describeAll follows the client's paging mode to the end and returns the
// instances and the number of pages.
async function describeAll(c, filter = {}) {
  const got = [];
  let pages = 0;
  let next;
  for (let page = 1; ; page++) {
    const body = await c.describeInstances({ ...filter, pageSize: PAGE, page, next });
    pages++;
    const batch = body.Instances?.Instance ?? [];
    got.push(...batch);
    if (pages > 50) throw new Error('more than 50 pages');
    if (c.pages === 'NextToken') {
      next = body.NextToken;
      if (!next) break;
    } else if (batch.length === 0 || got.length >= body.TotalCount) {
      if (body.TotalCount !== got.length) throw new Error(`TotalCount ${body.TotalCount}, listed ${got.length}`);
      break;
    }
  }
  return { instances: got, pages };
}

// ---- the scenario ------------------------------------------------------

let failed = 0;

async function check(client, name, f) {
  try {
    await f();
    console.log(`ok ${client} ${name}`);
  } catch (e) {
    failed++;
    const why = [e.status && `HTTP ${e.status}`, e.code, e.message].filter(Boolean).join(' ');
    console.log(`FAIL ${client} ${name}: ${why.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
}

async function expectError(c, code, status) {
  let body;
  try {
    body = await c.describeInstances({ pageSize: PAGE });
  } catch (e) {
    if (e.code !== code || e.status !== status) {
      throw Object.assign(new Error(`want ${status} ${code}, got: ${e.message}`), { code: e.code, status: e.status });
    }
    return;
  }
  throw new Error(`want ${status} ${code}, got an answer (RequestId ${body.RequestId})`);
}

async function scenario(name, make) {
  const c = make(keyId, secret);
  let listed = new Map();
  await check(name, 'describe-all-pages', async () => {
    const { instances, pages } = await describeAll(c);
    sameIds(instances.map((i) => i.InstanceId), want.all, `DescribeInstances ${region}`);
    if (pages < 2) throw new Error(`${pages} page(s) with ${c.pages} paging of ${PAGE}; want several`);
    listed = new Map(instances.map((i) => [i.InstanceId, i]));
  });
  await check(name, 'filter-tag', async () => {
    const { instances } = await describeAll(c, { tag: { key: 'team', value: 'ci' } });
    sameIds(instances.map((i) => i.InstanceId), want.tagged, 'Tag team=ci');
  });
  await check(name, 'filter-status', async () => {
    const { instances } = await describeAll(c, { status: 'Stopped' });
    sameIds(instances.map((i) => i.InstanceId), want.stopped, 'Status=Stopped');
  });
  const id = stops[name];
  await check(name, 'stop-without-region', async () => {
    const before = listed.get(id)?.Status;
    if (before !== undefined && before !== 'Running') throw new Error(`${id} is ${before} before the stop`);
    const body = await c.stopInstance(id);
    if (!body.RequestId) throw new Error(`StopInstance ${id}: no RequestId in ${JSON.stringify(body)}`);
  });
  await check(name, 'attribute-without-region', async () => {
    const body = await c.describeInstanceAttribute(id);
    const inst = fleet.find((i) => i.InstanceId === id);
    if (body.InstanceId !== id) throw new Error(`InstanceId ${body.InstanceId}, want ${id}`);
    if (body.RegionId !== inst.RegionId) throw new Error(`RegionId ${body.RegionId}, want ${inst.RegionId}`);
    if (!['Stopping', 'Stopped'].includes(body.Status)) throw new Error(`Status ${body.Status} after StopInstance`);
  });
  await check(name, 'wrong-secret', () => expectError(make(keyId, `${secret}-wrong`), 'SignatureDoesNotMatch', 400));
  await check(name, 'unknown-key', () => expectError(make('LTAIunknownAccessKey', secret), 'InvalidAccessKeyId.NotFound', 404));
}

await scenario('tea', teaClient);
await scenario('pop', popClient);
if (failed > 0) {
  console.log(`${failed} check(s) failed`);
  process.exit(1);
}
