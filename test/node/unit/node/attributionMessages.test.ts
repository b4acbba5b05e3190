import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { type Address, bytesToHex, keccak256, toHex } from "viem";
import { AttributionMessages, createAttributionRoute } from "../../../../node/src/node/index.js";
import {
  type AttributionMessage,
  buildAttributionTree,
  decodeAttributionMessage,
} from "../../../../node/src/protocol/index.js";

const NODE: Address = "0x00000000000000000000000000000000000000aA";

function messageOf(epoch: bigint): AttributionMessage {
  const leaves = [
    { datasetId: 1n, amount: 70n },
    { datasetId: 2n, amount: 30n + epoch },
  ];
  return {
    node: NODE,
    versionId: 1n,
    epoch,
    root: buildAttributionTree(leaves).root,
    leaves,
    recordsRoot: keccak256(toHex("records")),
    recordIds: [keccak256(toHex("a"))],
  };
}

describe("node: gossiped attribution messages and their HTTP route", () => {
  it("keeps at most its bound, dropping the oldest first", () => {
    const held = new AttributionMessages(2);
    for (const epoch of [1n, 2n, 3n]) held.add(messageOf(epoch));
    expect(held.get(NODE, 1n, 1n)).to.equal(undefined);
    expect(held.get(NODE, 1n, 3n)?.epoch).to.equal(3n);
    expect(held.dropped).to.equal(1);
  });

  describe("GET /olp/attribution/<node>/<versionId>/<epoch>", () => {
    let server: Server;
    let base: string;
    before(async () => {
      const held = new AttributionMessages();
      held.add(messageOf(4n));
      const route = createAttributionRoute(async (node, versionId, epoch) => held.get(node, versionId, epoch));
      server = createServer((req, res) => {
        route(req, res).then((handled) => {
          if (!handled) res.writeHead(418).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it("serves the encoded message the CLI's claim and audit decode", async () => {
      const res = await fetch(`${base}/olp/attribution/${NODE.toLowerCase()}/1/4`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/octet-stream");
      const decoded = decodeAttributionMessage(bytesToHex(new Uint8Array(await res.arrayBuffer())));
      expect(decoded.root).to.equal(messageOf(4n).root);
      expect(decoded.leaves.map((l) => l.amount)).to.deep.equal([70n, 34n]);
    });

    it("answers 404 for a pool it does not hold, 405 for another method, and leaves other paths alone", async () => {
      expect((await fetch(`${base}/olp/attribution/${NODE}/1/5`)).status).to.equal(404);
      expect((await fetch(`${base}/olp/attribution/${NODE}/1/4`, { method: "POST" })).status).to.equal(405);
      expect((await fetch(`${base}/olp/attribution/not-an-address/1/4`)).status).to.equal(418);
    });
  });
});
