// Soak (not in the default `test/node/**/*.test.ts` run): issue 4's crash test at full size, 10,000 paid requests
// through `olnode start` as a child process, SIGKILL at half, restart; the same checks as the integration test
// (test/node/integration/daemon-lifecycle.test.ts, a few hundred requests). Run alone, on an idle machine:
//   npx mocha --import=tsx --timeout 3600000 test/node/soak/daemon-burst.soak.ts
import { expect } from "chai";
import { createDaemonWorld, type DaemonWorld } from "../integration/daemonFixture.js";
import { killDuringBurst, type NodeProcess } from "../integration/daemonProcess.js";

const TOTAL = Number(process.env.OLNODE_SOAK_RECEIPTS ?? 10_000);
const LANES = Number(process.env.OLNODE_SOAK_LANES ?? 64);

describe("soak: olnode start killed with SIGKILL in a 10,000-receipt burst", function () {
  this.timeout(3_600_000);
  let world: DaemonWorld;
  let running: NodeProcess | undefined;

  before(async () => {
    world = await createDaemonWorld(31_390);
  });

  after(async () => {
    running?.child.kill("SIGKILL");
    await world?.close();
  });

  it(`keeps every acknowledged receipt of ${TOTAL} and redeems each of ${LANES} lanes exactly once after the restart`, async () => {
    const result = await killDuringBurst(world, await world.addNode("soak"), { total: TOTAL, lanes: LANES }, (p) => {
      running = p;
    });
    expect(result.acked.length).to.be.at.least(TOTAL / 2);
  });
});
