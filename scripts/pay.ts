// `npm run pay`: a dapp in one file, paying a node per inference with the SDK only (docs/guide-dapp.md).
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  type Address,
  createWalletClient,
  formatUnits,
  type Hex,
  http,
  isAddress,
  parseAbi,
  parseUnits,
  publicActions,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { settlementDomain } from "../node/src/protocol/index.js";
import { callInference, depositWithPermit, openLevelLaneStore } from "../node/src/sdk/index.js";

const HELP = `Usage: npm run pay -- --key <key.json> --node <address> --endpoint <url> --version <id> --price <OPEN> [options]

A dapp paying per inference with the SDK (node/src/sdk, docs/sdk.md): reads the payer's key file (as
\`olnode keys generate\` writes it), deposits --deposit OPEN for the node with one EIP-2612 permit when the escrow
holds less than the calls need (depositWithPermit), then calls the node --count times with callInference, which
signs the lane's next receipt, sends the request and checks the record the node signed. Prints each answer and its
record id. The lane's receipts are kept in --lanes, so the next run continues the lane.
With --wait-settled it then waits until the node has redeemed the lane on chain (Settlement.getLane: collected).

Options:
  --key <file>         the payer's key file ({"address", "privateKey"})
  --node <address>     the node to pay
  --endpoint <url>     the node's API, e.g. http://127.0.0.1:8470
  --version <id>       the adapter version (the model is v<id>)
  --price <OPEN>       the node's price for the version (\`olnode node price\` set it)
  --prompt <text>      what to ask (default "Type: dress; color: red")
  --count <N>          how many paid calls (default 1, at most 1000)
  --lane <n>           the lane (default 0)
  --deposit <OPEN>     how much to deposit when short (default 1)
  --deployment <file>  the deployment file (default $OLNODE_CHAIN_DEPLOYMENT_FILE, else ./local/deployment.json)
  --rpc <url>          the chain (default $OLNODE_CHAIN_RPC_URL, else http://127.0.0.1:8545)
  --lanes <dir>        where the lane store lives (default ./local/lanes-<payer>)
  --wait-settled       wait (up to 120 s) until the node has redeemed this run's last receipt
  -h, --help           show this text`;

const escrowAbi = parseAbi(["function collectable(address payer, address node) view returns (uint256)"]);
const nodeRegistryAbi = parseAbi(["function operatorOf(address node) view returns (address)"]);
const settlementAbi = parseAbi([
  "function getLane(address payer, address node, uint256 versionId, uint32 lane) view returns ((uint128 collected, uint64 lastSeq))",
]);

function open(flag: string, text: string | undefined): bigint {
  if (text === undefined || !/^[0-9]+(\.[0-9]{1,18})?$/.test(text)) {
    throw new Error(`--${flag} ${JSON.stringify(text ?? "")} is not an amount of OPEN`);
  }
  return parseUnits(text, 18);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: {
      help: { type: "boolean", short: "h" },
      key: { type: "string" },
      node: { type: "string" },
      endpoint: { type: "string" },
      version: { type: "string" },
      price: { type: "string" },
      prompt: { type: "string", default: "Type: dress; color: red" },
      count: { type: "string", default: "1" },
      lane: { type: "string", default: "0" },
      deposit: { type: "string", default: "1" },
      deployment: { type: "string" },
      rpc: { type: "string" },
      lanes: { type: "string" },
      "wait-settled": { type: "boolean" },
    },
  });
  if (values.help === true) {
    console.log(HELP);
    return;
  }
  if (values.key === undefined) throw new Error("--key is required (see --help)");
  if (values.node === undefined || !isAddress(values.node, { strict: false }))
    throw new Error("--node needs an address");
  if (values.endpoint === undefined) throw new Error("--endpoint is required (the node's API URL)");
  if (values.version === undefined || !/^[1-9][0-9]*$/.test(values.version))
    throw new Error("--version needs a version id");
  const price = open("price", values.price);
  const deposit = open("deposit", values.deposit);
  const count = Number(values.count);
  if (!/^[0-9]+$/.test(values.count) || count < 1 || count > 1000)
    throw new Error("--count wants an integer in [1, 1000]");
  const laneIndex = Number(values.lane);
  if (!/^[0-9]+$/.test(values.lane) || laneIndex > 2 ** 32 - 1) throw new Error("--lane wants a uint32");

  const key = JSON.parse(await readFile(values.key, "utf8")) as { privateKey?: string };
  if (typeof key.privateKey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(key.privateKey)) {
    throw new Error(`${values.key}: no privateKey of 32 bytes of hex`);
  }
  const account = privateKeyToAccount(key.privateKey as Hex);
  const deploymentFile = values.deployment ?? process.env.OLNODE_CHAIN_DEPLOYMENT_FILE ?? "local/deployment.json";
  const deployment = JSON.parse(await readFile(deploymentFile, "utf8")) as {
    chainId: number;
    contracts: { paymentEscrow: Address; nodeRegistry: Address; settlement: Address };
  };
  const rpc = values.rpc ?? process.env.OLNODE_CHAIN_RPC_URL ?? "http://127.0.0.1:8545";
  const client = createWalletClient({ account, transport: http(rpc) }).extend(publicActions);
  if ((await client.getChainId()) !== deployment.chainId) {
    throw new Error(
      `${rpc} is chain ${await client.getChainId()}, ${deploymentFile} names chain ${deployment.chainId}`,
    );
  }
  const node = values.node as Address;
  const versionId = BigInt(values.version);
  const { paymentEscrow, nodeRegistry, settlement } = deployment.contracts;

  // Deposit once, when what the escrow holds for this node cannot pay this run.
  const held = await client.readContract({
    address: paymentEscrow,
    abi: escrowAbi,
    functionName: "collectable",
    args: [account.address, node],
  });
  if (held < price * BigInt(count)) {
    const hash = await depositWithPermit(client, {
      escrow: paymentEscrow,
      node,
      amount: deposit,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
    });
    const { blockNumber } = await client.waitForTransactionReceipt({ hash });
    console.log(`deposited ${formatUnits(deposit, 18)} OPEN for ${node} (tx ${hash})`);
    // The node accepts receipts only within the deposit it has indexed: wait until its chain index holds the block.
    await waitForNodeIndex(values.endpoint, blockNumber);
  } else {
    console.log(`escrow holds ${formatUnits(held, 18)} OPEN for ${node}: no deposit needed`);
  }

  const operator = await client.readContract({
    address: nodeRegistry,
    abi: nodeRegistryAbi,
    functionName: "operatorOf",
    args: [node],
  });
  const store = await openLevelLaneStore({
    location: values.lanes ?? `local/lanes-${account.address}`,
    domain: settlementDomain(BigInt(deployment.chainId), settlement),
  });
  const lane = { payer: account.address, node, versionId, lane: laneIndex };
  let lastSeq = 0n;
  try {
    for (let i = 0; i < count; i++) {
      const paid = await callInference(client, {
        endpoint: values.endpoint,
        store,
        lane,
        price,
        operator,
        request: { model: `v${versionId}`, prompt: values.prompt, max_tokens: 24 },
      });
      lastSeq = paid.receipt.receipt.seq;
      console.log(`answer  ${JSON.stringify(paid.text)}`);
      console.log(`record  ${paid.recordId} (seq ${paid.receipt.receipt.seq}, paid ${formatUnits(price, 18)} OPEN)`);
    }
  } finally {
    await store.close();
  }

  if (values["wait-settled"] === true) {
    const readLane = () =>
      client.readContract({
        address: settlement,
        abi: settlementAbi,
        functionName: "getLane",
        args: [account.address, node, versionId, laneIndex],
      });
    const end = Date.now() + 120_000;
    let now = await readLane();
    while (now.lastSeq < lastSeq && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 1000));
      now = await readLane();
    }
    if (now.lastSeq < lastSeq)
      throw new Error(`lane not settled after 120 s: collected ${formatUnits(now.collected, 18)} OPEN`);
    console.log(`settled: lane ${laneIndex} collected ${formatUnits(now.collected, 18)} OPEN up to seq ${now.lastSeq}`);
  }
}

/** Polls the node's `/status` until its chain index reaches `block` (up to 60 s). */
async function waitForNodeIndex(endpoint: string, block: bigint): Promise<void> {
  const end = Date.now() + 60_000;
  let indexed = "none";
  while (Date.now() < end) {
    const response = await fetch(new URL("/status", endpoint)).catch(() => undefined);
    if (response?.ok === true) {
      const status = (await response.json()) as { chain?: { indexedBlock?: number | string | null } };
      const at = status.chain?.indexedBlock;
      if (at !== undefined && at !== null) {
        indexed = String(at);
        if (BigInt(at) >= block) return;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the node at ${endpoint} has not indexed block ${block} after 60 s (indexed: ${indexed})`);
}

main().catch((err: unknown) => {
  console.error(`pay: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
